using Ipg.Guidance;
using BenchmarkDotNet.Attributes;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// One request on the embedded default SASRec (N = 3,533, d = 48, L = 70; one ONNX Runtime thread):
/// encode the history and re-rank the catalogue with the linear look-ahead (the baseline), or with the
/// exact look-ahead, which re-encodes s ⊕ i for the top-M linear candidates in one batched call.
/// The extra cost is roughly M encodings of one sequence; compare Ratio.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class LookAheadBenchmarks
{
    private OnnxSasRecEncoder _encoder = null!;
    private IpgReranker _linear = null!;
    private IpgReranker _exact = null!;
    private GuidanceTarget _target = null!;
    private int[] _history = null!;

    /// <summary>M, the candidates the exact look-ahead re-encodes.</summary>
    [Params(10, 20)]
    public int M { get; set; }

    /// <summary>History length (the simulator's users have about 27 clicks; 69 fills the model's window).</summary>
    [Params(27, 69)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { IntraOpThreads = 1, BatchParallelism = 1 });
        _linear = new IpgReranker(_encoder, IpgOptions.Paper);
        _exact = new IpgReranker(_encoder, IpgOptions.Paper with { Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, M) });
        _target = _linear.PrepareTarget(2277);
        var random = new Random(42);
        _history = Enumerable.Range(0, Length).Select(_ => random.Next(1, _encoder.ItemCount + 1)).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _encoder.Dispose();

    /// <summary>Encode + linear re-rank (the paper).</summary>
    [Benchmark(Baseline = true)]
    public int Linear() => _linear.Recommend(_history, _target, 1)[0].ItemId;

    /// <summary>Encode + linear shortlist of M + M re-encodings + exact re-score.</summary>
    [Benchmark]
    public int Exact() => _exact.Recommend(_history, _target, 1)[0].ItemId;
}
