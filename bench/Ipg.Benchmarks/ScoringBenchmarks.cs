using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// The scoring math alone (user representation and item table given): IPG's catalogue re-rank against
/// the floor — one TensorPrimitives pass that reads the item table once (N·d dot products) — and a
/// naive scalar implementation with a full sort. Compare Ratio and Alloc Ratio.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class ScoringBenchmarks
{
    private IpgReranker _reranker = null!;
    private GuidanceTarget _target = null!;
    private float[] _user = null!;
    private float[] _logits = null!;
    private RankedItem[] _results = null!;
    private ItemEmbeddingTable _items = null!;

    /// <summary>Catalogue size N.</summary>
    [Params(3_533, 100_000, 1_000_000)]
    public int N { get; set; }

    /// <summary>Embedding dimension d.</summary>
    [Params(48, 64, 128)]
    public int D { get; set; }

    /// <summary>Top-K.</summary>
    [Params(10, 100)]
    public int K { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _items = BenchData.UniformTable(N, D, random);
        _reranker = new IpgReranker(new InMemoryEncoder(_items), IpgOptions.Paper);
        _target = _reranker.PrepareTarget(7);
        _user = new float[D];
        for (int i = 0; i < D; i++)
        {
            _user[i] = (float)(random.NextDouble() - 0.5);
        }

        _logits = new float[N];
        _results = new RankedItem[K];
    }

    /// <summary>The floor: N·d dot products reading the table once, nothing else.</summary>
    [Benchmark(Baseline = true)]
    public float Floor()
    {
        var rows = _items.ItemRows;
        for (int i = 0; i < _logits.Length; i++)
        {
            _logits[i] = TensorPrimitives.Dot(_user, rows.Slice(i * D, D));
        }

        return _logits[^1];
    }

    /// <summary>IPG over the whole catalogue: logits, p̂, g, r, top-K.</summary>
    [Benchmark]
    public int Ipg() => _reranker.RerankCatalogue(_user, _target, _results);

    /// <summary>A naive scalar implementation: scalar loops, Math.Exp, then a full sort.</summary>
    [Benchmark]
    public int Naive()
    {
        var rows = _items.ItemRows;
        var target = _target.Embedding;
        float userDotTarget = 0;
        for (int c = 0; c < D; c++)
        {
            userDotTarget += _user[c] * target[c];
        }

        var scored = new (float Score, int Id)[N];
        for (int i = 0; i < N; i++)
        {
            float logit = 0, targetDot = 0;
            for (int c = 0; c < D; c++)
            {
                logit += _user[c] * rows[(i * D) + c];
                targetDot += target[c] * rows[(i * D) + c];
            }

            float p = 1f / (1f + MathF.Exp(-logit));
            float g = 0.2f * (targetDot - userDotTarget);
            scored[i] = (p * g, i + 1);
        }

        Array.Sort(scored, static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Id.CompareTo(b.Id));
        return scored[K - 1].Id;
    }
}
