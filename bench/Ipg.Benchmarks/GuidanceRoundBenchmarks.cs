using BenchmarkDotNet.Attributes;
using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Simulation;
using Ipg.Simulation.Reproduction;

namespace Ipg.Benchmarks;

/// <summary>
/// One guidance round at paper scale (6,034 users, 3,533 items, the embedded default model): encode every user's
/// logged history, let IPG pick one item per user (the whole catalogue re-ranked per user, excluding seen items),
/// and step the simulator — and each part alone. <see cref="Threads"/> = encoder chunks of 64 run in parallel (ONNX
/// Runtime intra-op 1 each); the policy's <c>Parallel.For</c> uses every core either way. The guidance runner does less than
/// <c>FullRound</c> after round 0: it re-encodes only the users who clicked (about a quarter).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 7)]
public class GuidanceRoundBenchmarks
{
    private OnnxSasRecEncoder _encoder = null!;
    private TopicSimulator _simulator = null!;
    private IpgPolicy _policy = null!;
    private GuidanceTarget _target = null!;
    private ReadOnlyMemory<int>[] _windows = null!;
    private ExclusionMask _mask = null!;
    private float[] _embeddings = null!;
    private int[] _slates = null!;
    private int[] _shown = null!;
    private bool[] _clicked = null!;

    /// <summary>Encoder chunks run in parallel.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>The forward pass.</summary>
    [Params(SasRecKernel.OnnxRuntime, SasRecKernel.Managed)]
    public SasRecKernel Kernel { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var world = PaperReproduction.CollectWorld(ReproductionOptions.Paper);
        _simulator = world.EndState;
        int users = _simulator.UserCount;
        _encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { IntraOpThreads = 1, BatchParallelism = Threads, MaxBatchSize = 64, Kernel = Kernel });
        var sequences = Enumerable.Range(0, users).Select(_ => new List<int>()).ToArray();
        foreach (var click in world.Collection.Interactions)
        {
            sequences[click.User].Add(click.Item);
        }

        int length = _encoder.MaxHistoryLength;
        _windows = sequences.Select(s => (ReadOnlyMemory<int>)s.Skip(Math.Max(0, s.Count - length)).ToArray()).ToArray();
        _mask = new ExclusionMask(users, _encoder.ItemCount);
        for (int u = 0; u < users; u++)
        {
            foreach (int id in sequences[u])
            {
                _mask.Add(u, id);
            }
        }

        _policy = new IpgPolicy(new IpgReranker(_encoder, IpgOptions.Paper));
        _target = _policy.Reranker.PrepareTarget(2277);
        _embeddings = new float[users * _encoder.Dimension];
        _encoder.EncodeBatch(_windows, _embeddings);
        _slates = new int[users];
        _shown = new int[users];
        _clicked = new bool[users];
    }

    [GlobalCleanup]
    public void Cleanup() => _encoder.Dispose();

    /// <summary>Encode all users + IPG for all users + one simulator step.</summary>
    [Benchmark]
    public int FullRound()
    {
        Encode();
        Recommend();
        return Simulate();
    }

    /// <summary>Encode all 6,034 histories.</summary>
    [Benchmark]
    public float Encode()
    {
        _encoder.EncodeBatch(_windows, _embeddings);
        return _embeddings[0];
    }

    /// <summary>IPG over the whole catalogue for every user (one item each).</summary>
    [Benchmark]
    public int Recommend()
    {
        var context = new PolicyContext(_encoder, _target, _windows, _embeddings, _mask, 1, 0);
        _policy.Recommend(context, _slates);
        return _slates[0];
    }

    /// <summary>One simulator step for every user (the state drifts across iterations; the cost does not).</summary>
    [Benchmark]
    public int Simulate()
    {
        for (int u = 0; u < _shown.Length; u++)
        {
            _shown[u] = _slates[u];
        }

        _simulator.Step(_shown, _clicked);
        return _clicked.Count(c => c);
    }
}
