using Ipg.Encoders;
using Ipg.Simulation.Reproduction;

namespace Ipg.Simulation.Tests.Reproduction;

/// <summary>
/// The regression guard of the guidance seam: the paper's experiment on the embedded default model, at a small
/// scale, gives exactly the metrics the pre-seam code gave (recorded with
/// <c>ipg reproduce --users 120 --targets 2 --rounds 10</c> at commit 2521ddc, before the policies moved onto the
/// seam; 6 decimals, as <c>results.json</c> writes them). Any change to the scoring chain, the top-K, ties or the
/// simulator's dynamics moves at least one of these numbers.
/// </summary>
public class PaperRegressionTests
{
    private static readonly Dictionary<string, double[]> Recorded = new()
    {
        // HR@5, HR@10, IoI@5, IoI@10, IoR@5, IoR@10
        ["IPG"] = [0.425, 0.412083, 0.046971, 0.086335, 332.116667, 587.045833],
        ["IPG-Cosine"] = [0.355833, 0.371667, 0.091555, 0.170163, 573.6125, 961.308333],
        ["SASRec"] = [0.626667, 0.615833, 0.003887, 0.003001, 44.179167, 38.316667],
        ["TargetSimilarity"] = [0.583333, 0.565, 0.037425, 0.069412, 261.904167, 456.729167],
        ["Rec2Inf"] = [0.450833, 0.465833, 0.077282, 0.13471, 481.2375, 788.595833],
        ["Random"] = [0.0825, 0.083333, 0.001948, 0.007082, -13.929167, -9.958333],
        ["Oracle"] = [0.530833, 0.512917, 0.19951, 0.339545, 1078.583333, 1502.825],
    };

    [Fact]
    public void The_standard_policies_reproduce_the_pre_seam_metrics_to_every_written_digit()
    {
        var options = ReproductionOptions.Default with { Users = 120, Targets = 2, Rounds = 10 };
        var world = PaperReproduction.CollectWorld(options);
        using var encoder = SasRecDefaultModel.Load(OnnxSasRecEncoderOptions.Default with { Kernel = SasRecKernel.Managed });
        var experiment = PaperReproduction.CreateExperiment(world, encoder, options);
        experiment.Targets.Should().Equal(2277, 3435);

        var result = PaperReproduction.Run(world, experiment, PaperReproduction.StandardPolicies(encoder, seed: (int)options.TargetSeed), options);

        result.Policies.Select(p => p.PolicyName).Should().Equal(Recorded.Keys);
        foreach (var policy in result.Policies)
        {
            var at5 = ReproductionReport.At(policy, 5)!;
            var at10 = ReproductionReport.At(policy, 10)!;
            double[] actual =
            [
                at5.HitRate.Mean, at10.HitRate.Mean, at5.IncreaseOfInterest.Mean, at10.IncreaseOfInterest.Mean,
                at5.IncreaseOfRanking.Mean, at10.IncreaseOfRanking.Mean,
            ];
            actual.Select(x => Math.Round(x, 6)).Should().Equal(Recorded[policy.PolicyName], policy.PolicyName);
        }
    }
}
