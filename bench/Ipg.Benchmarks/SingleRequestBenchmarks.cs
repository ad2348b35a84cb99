using BenchmarkDotNet.Attributes;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// One request end to end on the embedded default model, one core (ONNX Runtime intra-op 1): encode a
/// full-length history (L = 70), score all 3,533 items towards the target, return the top 10 (IPG, paper options),
/// with each forward pass. <c>Encode</c> and <c>Score</c> are the two halves alone. Per-call percentiles (p50,
/// p90), which time-slicing on a shared machine distorts less, come from <c>--encoder-stopwatch</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class SingleRequestBenchmarks
{
    private OnnxSasRecEncoder _encoder = null!;
    private IpgReranker _reranker = null!;
    private GuidanceTarget _target = null!;
    private int[] _history = null!;
    private float[] _user = null!;
    private RankedItem[] _top = null!;

    /// <summary>The forward pass.</summary>
    /// <remarks>Auto is the default configuration with no option set at all (<c>SasRecDefaultModel.Load()</c>).</remarks>
    [Params(SasRecKernel.OnnxRuntime, SasRecKernel.Managed, SasRecKernel.Auto)]
    public SasRecKernel Kernel { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _encoder = Kernel == SasRecKernel.Auto
            ? SasRecDefaultModel.Load()
            : SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { IntraOpThreads = 1, Kernel = Kernel });
        _reranker = new IpgReranker(_encoder, IpgOptions.Paper);
        _target = _reranker.PrepareTarget(2277);
        _history = BenchData.Histories(1, _encoder.MaxHistoryLength, _encoder.ItemCount, seed: 7)[0].ToArray();
        _user = new float[_encoder.Dimension];
        _top = new RankedItem[10];
    }

    [GlobalCleanup]
    public void Cleanup() => _encoder.Dispose();

    /// <summary>Encode + score + top-10 through the public one-call API.</summary>
    [Benchmark]
    public int Request() => _reranker.Recommend(_history, _target, 10)[0].ItemId;

    /// <summary>The encoder alone.</summary>
    [Benchmark]
    public float Encode()
    {
        _encoder.Encode(_history, _user);
        return _user[0];
    }

    /// <summary>Scoring and top-10 alone, from a given user representation.</summary>
    [Benchmark]
    public int Score() => _reranker.RerankCatalogue(_user, _target, _top, _history);
}
