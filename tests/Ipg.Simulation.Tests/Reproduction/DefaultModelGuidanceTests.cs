using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Simulation.Reproduction;

namespace Ipg.Simulation.Tests.Reproduction;

/// <summary>
/// The paper's claim on the embedded default SASRec and the seeded paper world: IPG raises the users'
/// interest in the target far more than the base recommender, at some cost in accuracy.
/// </summary>
public class DefaultModelGuidanceTests
{
    [Fact]
    public void Ipg_raises_interest_in_the_target_well_beyond_sasrec_on_the_default_model()
    {
        // 200 users × 4 targets × 20 rounds; the seeded world and model make the run deterministic.
        var options = ReproductionOptions.Default with { Users = 200, Targets = 4 };
        var world = PaperReproduction.CollectWorld(options);
        using var encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { BatchParallelism = Environment.ProcessorCount });
        encoder.Metadata.TrainingLogSha256.Should().Be(world.LogSha256, "the embedded model was trained on this seeded log");

        var experiment = PaperReproduction.CreateExperiment(world, encoder, options);
        var ipg = experiment.Run(new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper)));
        var sasrec = experiment.Run(new GreedyPolicy());

        var ipg20 = ReproductionReport.At(ipg, 20)!;
        var sasrec20 = ReproductionReport.At(sasrec, 20)!;

        // Measured: IPG IoI@20 ≈ 0.12, SASRec ≈ 0.01 (see README). The margin asked for is a tenth of that gap
        // and the whole 95 % intervals must separate, so the claim does not rest on luck.
        (ipg20.IncreaseOfInterest.Mean - sasrec20.IncreaseOfInterest.Mean).Should().BeGreaterThan(0.05);
        ipg20.IncreaseOfInterest.Lower.Should().BeGreaterThan(sasrec20.IncreaseOfInterest.Upper);
        foreach (var (i, s) in ipg.Targets.Zip(sasrec.Targets))
        {
            i.At(20).IncreaseOfInterest.Should().BeGreaterThan(s.At(20).IncreaseOfInterest, $"target {i.TargetItem}");
        }

        // Accuracy: SASRec clicks more, IPG keeps a reasonable hit rate (far above random's ≈ 0.09).
        sasrec20.HitRate.Mean.Should().BeGreaterThan(ipg20.HitRate.Mean);
        ipg20.HitRate.Mean.Should().BeGreaterThan(0.3);
    }
}
