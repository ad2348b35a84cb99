using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// Large-catalogue scoring (issue #18): the fp32 catalogue re-rank against the two-stage compact path
/// (<see cref="IpgOptions.CompactTable"/>: int8 first stage, exact fp32 re-score of the shortlist) and against the
/// compact table's own bandwidth floor (one pass over the int8 table writing the approximate logits), side by side
/// in one run. Two option sets: the paper's (linear Increase, λ = 1, raw product; what ScoringBenchmarks measures)
/// and the library's default (cosine, λ = 0.35, accuracy fallback). Default shortlist M = max(4K, 256).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class CompactScoringBenchmarks
{
    private IpgReranker _paper = null!;
    private IpgReranker _paperCompact = null!;
    private IpgReranker _default = null!;
    private IpgReranker _defaultCompact = null!;
    private CompactItemTable _compact = null!;
    private ItemEmbeddingTable _items = null!;
    private GuidanceTarget _target = null!;
    private float[] _user = null!;
    private float[] _logits = null!;
    private RankedItem[] _results = null!;

    /// <summary>Catalogue size N.</summary>
    [Params(1_000_000)]
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
        // The same table and user as ScoringBenchmarks (uniform in [−0.5, 0.5), seed 42).
        var random = new Random(42);
        _items = BenchData.UniformTable(N, D, random);
        _compact = new CompactItemTable(_items);
        var encoder = new InMemoryEncoder(_items);
        _paper = new IpgReranker(encoder, IpgOptions.Paper);
        _paperCompact = new IpgReranker(encoder, IpgOptions.Paper with { CompactTable = _compact });
        _default = new IpgReranker(encoder, IpgOptions.Default);
        _defaultCompact = new IpgReranker(encoder, IpgOptions.Default with { CompactTable = _compact });
        _target = _paper.PrepareTarget(7);
        _ = _target.TargetCosines; // prepared once per target, as a service would
        _user = new float[D];
        for (int i = 0; i < D; i++)
        {
            _user[i] = (float)(random.NextDouble() - 0.5);
        }

        _logits = new float[N];
        _results = new RankedItem[K];
    }

    /// <summary>Today's path: every item scored in fp32 (blocked row-dot kernel, p̂, g, r, keys, top-K), paper options.</summary>
    [Benchmark(Baseline = true)]
    public int Fp32Paper() => _paper.RerankCatalogue(_user, _target, _results);

    /// <summary>The two-stage compact path, paper options.</summary>
    [Benchmark]
    public int CompactPaper() => _paperCompact.RerankCatalogue(_user, _target, _results);

    /// <summary>Today's path, the library's default options (cosine, λ = 0.35, accuracy fallback).</summary>
    [Benchmark]
    public int Fp32Default() => _default.RerankCatalogue(_user, _target, _results);

    /// <summary>The two-stage compact path, default options.</summary>
    [Benchmark]
    public int CompactDefault() => _defaultCompact.RerankCatalogue(_user, _target, _results);

    /// <summary>The compact path's bandwidth floor: one pass over the int8 table (N·(d + 4) bytes) writing the approximate logits.</summary>
    [Benchmark]
    public float CompactFloor()
    {
        _compact.ComputeApproximateLogits(_user, _logits);
        return _logits[^1];
    }

    /// <summary>The fp32 floor of ScoringBenchmarks: one TensorPrimitives.Dot per item over the fp32 table (N·4d bytes).</summary>
    [Benchmark]
    public float Fp32Floor()
    {
        var rows = _items.ItemRows;
        for (int i = 0; i < _logits.Length; i++)
        {
            _logits[i] = TensorPrimitives.Dot(_user, rows.Slice(i * D, D));
        }

        return _logits[^1];
    }
}
