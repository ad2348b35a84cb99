using BenchmarkDotNet.Attributes;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// RerankBatch on the compact path (issue #18's several-users-per-pass kernel): 16 users × 1M items, K = 10, default
/// options, side by side — the fp32 batch, the compact path one user at a time (a parallel loop of RerankCatalogue
/// calls, which is what RerankBatch ran per user before it shared passes), and the compact RerankBatch, where blocks
/// of up to 8 users share each pass over the int8 table (2 cores: two blocks of 8). Per call, i.e. for all 16 users.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class CompactBatchBenchmarks
{
    private const int Users = 16;
    private const int K = 10;
    private IpgReranker _fp32 = null!;
    private IpgReranker _compact = null!;
    private GuidanceTarget _target = null!;
    private float[] _users = null!;
    private RankedItem[] _results = null!;
    private int[] _counts = null!;

    /// <summary>Catalogue size N.</summary>
    [Params(1_000_000)]
    public int N { get; set; }

    /// <summary>Embedding dimension d.</summary>
    [Params(48, 128)]
    public int D { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var items = BenchData.UniformTable(N, D, random);
        var encoder = new InMemoryEncoder(items);
        _fp32 = new IpgReranker(encoder, IpgOptions.Default);
        _compact = new IpgReranker(encoder, IpgOptions.Default with { CompactTable = new CompactItemTable(items) });
        _target = _fp32.PrepareTarget(7);
        _ = _target.TargetCosines;
        _users = new float[Users * D];
        for (int i = 0; i < _users.Length; i++)
        {
            _users[i] = (float)(random.NextDouble() - 0.5);
        }

        _results = new RankedItem[Users * K];
        _counts = new int[Users];
    }

    /// <summary>The fp32 batch: every user scores every item in fp32, users in parallel.</summary>
    [Benchmark(Baseline = true)]
    public int Fp32Batch()
    {
        _fp32.RerankBatch(_users, _target, K, _results, _counts);
        return _counts[0];
    }

    /// <summary>The compact path one user at a time (each user its own pass over the int8 table), users in parallel.</summary>
    [Benchmark]
    public int CompactPerUser()
    {
        Parallel.For(0, Users, u => _counts[u] = _compact.RerankCatalogue(_users.AsSpan(u * D, D), _target, _results.AsSpan(u * K, K)));
        return _counts[0];
    }

    /// <summary>The compact RerankBatch: blocks of users share each pass over the int8 table.</summary>
    [Benchmark]
    public int CompactBatch()
    {
        _compact.RerankBatch(_users, _target, K, _results, _counts);
        return _counts[0];
    }
}
