using BenchmarkDotNet.Attributes;
using Ipg.Encoders;
using Ipg.Guidance;

namespace Ipg.Benchmarks;

/// <summary>
/// Cost per request of every guidance mode (issue #13) on the embedded default model with the managed kernel (one
/// core): encode a full-length history (L = 70), score all 3,533 items, top 10. The baseline is the paper's linear
/// request; the fitted modes use the paper world's fit (<c>ipg fit</c>: a = 0.937, b = 2.83, p̂ = σ(0.655·logit −
/// 1.367)); the planned modes re-encode their shortlist (M is at least the result count, 10 here) and plan H
/// rounds ahead (GuidanceModeBenchmarks.md).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 12)]
public class GuidanceModeBenchmarks
{
    private static readonly AcceptanceCalibration Calibrated = new(0.655f, -1.367f);

    private OnnxSasRecEncoder _encoder = null!;
    private GuidanceTarget _item = null!;
    private int[] _history = null!;
    private RankedItem[] _top = null!;
    private IpgReranker _linear = null!;
    private IpgReranker _cosine = null!;
    private IpgReranker _cosineHalf = null!;
    private IpgReranker _fitted = null!;
    private IpgReranker _fittedCalibrated = null!;
    private IpgReranker _plannedH1M10 = null!;
    private IpgReranker _plannedH2B2M10 = null!;
    private IpgReranker _plannedH2B4M10 = null!;
    private IpgReranker _plannedH3B2M10 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { IntraOpThreads = 1, Kernel = SasRecKernel.Managed });
        IpgReranker Reranker(IpgOptions options) => new(_encoder, options);
        _linear = Reranker(IpgOptions.Paper);
        _cosine = Reranker(IpgOptions.Paper with { Guidance = CosineGuidance.Instance });
        _cosineHalf = Reranker(IpgOptions.Default with { Guidance = CosineGuidance.Instance, Strength = 0.5f });
        _fitted = Reranker(IpgOptions.Paper with { Guidance = LinearGuidance.Affine(0.937f, 2.83f) });
        _fittedCalibrated = Reranker(IpgOptions.Paper with { Guidance = LinearGuidance.Affine(0.937f, 2.83f), Acceptance = Calibrated });
        _plannedH1M10 = Reranker(IpgOptions.Paper with { Guidance = new PlannedGuidance(CosineGuidance.Instance, horizon: 1, shortlist: 10) });
        _plannedH2B2M10 = Reranker(IpgOptions.Paper with { Guidance = new PlannedGuidance(CosineGuidance.Instance, horizon: 2, beam: 2, shortlist: 10) });
        _plannedH2B4M10 = Reranker(IpgOptions.Paper with { Guidance = new PlannedGuidance(CosineGuidance.Instance, horizon: 2, beam: 4, shortlist: 10) });
        _plannedH3B2M10 = Reranker(IpgOptions.Paper with { Guidance = new PlannedGuidance(CosineGuidance.Instance, horizon: 3, beam: 2, shortlist: 10) });
        _item = _linear.PrepareTarget(2277);
        _history = BenchData.Histories(1, _encoder.MaxHistoryLength, _encoder.ItemCount, seed: 7)[0].ToArray();
        _top = new RankedItem[10];
    }

    [GlobalCleanup]
    public void Cleanup() => _encoder.Dispose();

    /// <summary>The paper's linear look-ahead (<see cref="IpgOptions.Paper"/>).</summary>
    [Benchmark(Baseline = true)]
    public int Linear() => _linear.Recommend(_history, _item, _top);

    /// <summary>The fitted affine move.</summary>
    [Benchmark]
    public int Fitted() => _fitted.Recommend(_history, _item, _top);

    /// <summary>The fitted affine move with the calibrated p̂.</summary>
    [Benchmark]
    public int FittedCalibrated() => _fittedCalibrated.Recommend(_history, _item, _top);

    /// <summary>The cosine form (the authors' code).</summary>
    [Benchmark]
    public int Cosine() => _cosine.Recommend(_history, _item, _top);

    /// <summary>The cosine form at λ = 0.5 with the accuracy fallback.</summary>
    [Benchmark]
    public int CosineHalf() => _cosineHalf.Recommend(_history, _item, _top);

    /// <summary>Planned, H = 1, M = 10 (the exact one-step cosine look-ahead over 10 candidates).</summary>
    [Benchmark]
    public int PlannedH1M10() => _plannedH1M10.Recommend(_history, _item, _top);

    /// <summary>Planned, H = 2, B = 2, M = 10.</summary>
    [Benchmark]
    public int PlannedH2B2M10() => _plannedH2B2M10.Recommend(_history, _item, _top);

    /// <summary>Planned, H = 2, B = 4, M = 10 (the setting measured in docs/guidance.md).</summary>
    [Benchmark]
    public int PlannedH2B4M10() => _plannedH2B4M10.Recommend(_history, _item, _top);

    /// <summary>Planned, H = 3, B = 2, M = 10.</summary>
    [Benchmark]
    public int PlannedH3B2M10() => _plannedH3B2M10.Recommend(_history, _item, _top);
}
