using BenchmarkDotNet.Attributes;
using Ipg.Encoders;
using Ipg.Guidance;

namespace Ipg.Benchmarks;

/// <summary>
/// One request through the guidance seam on the embedded default model with the managed kernel (one core): encode
/// a full-length history (L = 70), score all 3,533 items, top 10 — single-item target (the baseline, the same work
/// as <see cref="SingleRequestBenchmarks"/>' Managed request), a 10-item campaign, a strength below 1, the cosine
/// model, and scoring alone for a single item and a campaign. Compare with SingleRequestBenchmarks run before the
/// seam (GuidanceSeamBenchmarks.md).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class GuidanceSeamBenchmarks
{
    private OnnxSasRecEncoder _encoder = null!;
    private IpgReranker _paper = null!;
    private IpgReranker _cosine = null!;
    private GuidanceTarget _item = null!;
    private GuidanceTarget _campaign = null!;
    private int[] _history = null!;
    private float[] _user = null!;
    private RankedItem[] _top = null!;

    [GlobalSetup]
    public void Setup()
    {
        _encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { IntraOpThreads = 1, Kernel = SasRecKernel.Managed });
        _paper = new IpgReranker(_encoder, IpgOptions.Paper);
        _cosine = new IpgReranker(_encoder, IpgOptions.Paper with { Guidance = CosineGuidance.Instance });
        _item = _paper.PrepareTarget(2277);
        var random = new Random(3);
        _campaign = _paper.PrepareCampaign(Enumerable.Range(0, 10).Select(k => new WeightedItem(1 + (k * 353), 0.5f + (float)random.NextDouble())).ToArray());
        _history = BenchData.Histories(1, _encoder.MaxHistoryLength, _encoder.ItemCount, seed: 7)[0].ToArray();
        _user = new float[_encoder.Dimension];
        _encoder.Encode(_history, _user);
        _top = new RankedItem[10];
    }

    [GlobalCleanup]
    public void Cleanup() => _encoder.Dispose();

    /// <summary>Encode + score + top-10, one target item (the span overload: nothing allocated).</summary>
    [Benchmark(Baseline = true)]
    public int Request() => _paper.Recommend(_history, _item, _top);

    /// <summary>The same towards a campaign of 10 items (prepared once: the same cost per request).</summary>
    [Benchmark]
    public int RequestCampaign10() => _paper.Recommend(_history, _campaign, _top);

    /// <summary>The same at strength λ = 0.9 (one extra pass for the scale and the shift).</summary>
    [Benchmark]
    public int RequestStrength09() => _paper.Recommend(_history, _item, _top, strength: 0.9f);

    /// <summary>The cosine model (the authors' code).</summary>
    [Benchmark]
    public int RequestCosine() => _cosine.Recommend(_history, _item, _top);

    /// <summary>Scoring and top-10 alone, one target item.</summary>
    [Benchmark]
    public int Score() => _paper.RerankCatalogue(_user, _item, _top, _history);

    /// <summary>Scoring and top-10 alone, a 10-item campaign.</summary>
    [Benchmark]
    public int ScoreCampaign10() => _paper.RerankCatalogue(_user, _campaign, _top, _history);
}
