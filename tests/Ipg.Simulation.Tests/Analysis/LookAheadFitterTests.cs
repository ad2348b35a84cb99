using Ipg.Encoders;
using Ipg.Guidance;
using Ipg.Simulation.Analysis;

namespace Ipg.Simulation.Tests.Analysis;

public class LookAheadFitterTests
{
    private static readonly LookAheadFitOptions Small = new() { Users = 200, Candidates = 5, Seed = 5 };

    [Fact]
    public void An_encoder_that_moves_exactly_affinely_is_recovered_with_no_residual_in_or_out_of_sample()
    {
        // u' = 0.6·u + 0.4·ê_i holds for every history: the fit must find (0.6, 0.4) and explain every held-out move.
        var items = TestPresets.RandomTable(60, 6, seed: 2);
        var encoder = TestPresets.ExponentialEncoder(items, 0.6f);
        var sequences = TestPresets.RandomSequences(300, 60, 2, 12, seed: 3);

        var fit = LookAheadFitter.Fit(encoder, sequences, options: Small, producer: "test");

        fit.A.Should().BeApproximately(0.6, 1e-4);
        fit.B.Should().BeApproximately(0.4, 1e-4);
        fit.Validation.ResidualInSample.Should().BeLessThan(1e-6);
        fit.Validation.ResidualHeldOut.Should().BeLessThan(1e-6);
        fit.Validation.ResidualHeldOutLinear.Should().BeGreaterThan(0.01, "the paper's γ = 0.8 move is not this encoder's");
        fit.ItemCount.Should().Be(60);
        fit.Dimension.Should().Be(6);
        fit.ItemTableSha256.Should().Be(LookAheadFit.ComputeItemTableSha256(items));
        fit.Acceptance.Should().BeNull("no impressions were given");
        fit.Producer.Should().Be("test");
    }

    [Fact]
    public void Users_are_split_once_into_disjoint_fit_and_held_out_sets_and_the_fit_is_deterministic()
    {
        var encoder = new InMemoryEncoder(TestPresets.RandomTable(50, 5, seed: 4));
        var sequences = TestPresets.RandomSequences(250, 50, 1, 10, seed: 6);
        int eligible = sequences.Count(s => s.Length >= 2);

        var a = LookAheadFitter.Fit(encoder, sequences, options: Small);
        var b = LookAheadFitter.Fit(encoder, sequences, options: Small);

        a.Should().Be(b);
        var v = a.Validation;
        (v.FitUsers + v.HeldOutUsers).Should().BeLessThanOrEqualTo(Math.Min(Small.Users, eligible));
        ((double)v.HeldOutUsers / (v.FitUsers + v.HeldOutUsers)).Should().BeApproximately(Small.HeldOutShare, 0.02);
        v.FitPairs.Should().Be(v.FitUsers * (long)Small.Candidates);
        v.HeldOutPairs.Should().Be(v.HeldOutUsers * (long)Small.Candidates);
        // The mean encoder's move depends on the history length, so no single (a, b) is exact, but the fit is still
        // better than the paper's move out of sample.
        v.ResidualHeldOut.Should().BeGreaterThan(1e-3).And.BeLessThan(v.ResidualHeldOutLinear);
        LookAheadFitter.Fit(encoder, sequences, options: Small with { Seed = 6 }).Should().NotBe(a, "another seed splits and samples other users");
    }

    [Fact]
    public void Impressions_give_a_calibration_that_is_better_than_the_encoders_own_acceptance_on_held_out_users()
    {
        var world = new TopicSimulator(TestPresets.Small(seed: 12) with { Users = 200, Items = 150 });
        var encoder = TestPresets.TrueItemEncoder(world);
        var log = new LogCollector(LogCollectionOptions.Paper with { Rounds = 25, Seed = 12, KeepImpressions = true }).Collect(world);
        var sequences = Enumerable.Range(0, world.UserCount).Select(u => log.Interactions.Where(x => x.User == u).Select(x => x.Item).ToArray()).ToArray();

        var fit = LookAheadFitter.Fit(encoder, sequences, log.Impressions, Small with { Impressions = 4000 });

        fit.Acceptance.Should().NotBeNull();
        var v = fit.Validation;
        v.FitImpressions.Should().BePositive();
        v.HeldOutImpressions.Should().BePositive();
        (v.FitImpressions + v.HeldOutImpressions).Should().BeLessThan(log.Impressions!.Count, "impressions are sampled down to about the option's count");
        v.LogLossHeldOut.Should().BeLessThan(v.LogLossHeldOutUncalibrated);
    }

    [Fact]
    public void EvaluateMoves_scores_moves_from_elsewhere_on_exactly_the_fits_held_out_moves()
    {
        var encoder = new InMemoryEncoder(TestPresets.RandomTable(50, 5, seed: 4), maxHistoryLength: 6);
        var sequences = TestPresets.RandomSequences(250, 50, 2, 10, seed: 7);
        var fit = LookAheadFitter.Fit(encoder, sequences, options: Small);

        var residuals = LookAheadFitter.EvaluateMoves(encoder, sequences, [(fit.A, fit.B), (0.8, 0.2), (0.0, 1.0)], Small);

        residuals[0].Should().Be(fit.Validation.ResidualHeldOut, "the same split and the same draws as the fit");
        residuals[1].Should().Be(fit.Validation.ResidualHeldOutLinear);
        residuals[2].Should().BeGreaterThan(residuals[0], "a move that ignores the current state is worse than the fitted one");
        LookAheadFitter.EvaluateMoves(encoder, sequences, [], Small).Should().BeEmpty();
    }

    [Fact]
    public void Too_few_usable_users_and_bad_options_are_refused_by_name()
    {
        var encoder = new InMemoryEncoder(TestPresets.RandomTable(10, 3, seed: 1));
        int[][] oneEach = [[1], [2], [3, 4]];

        FluentActions.Invoking(() => LookAheadFitter.Fit(encoder, oneEach)).Should().Throw<ArgumentException>().WithMessage("*at least 2 logged items*");
        FluentActions.Invoking(() => LookAheadFitter.Fit(encoder, oneEach, options: new LookAheadFitOptions { HeldOutShare = 1.5 }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("HeldOutShare");
        FluentActions.Invoking(() => LookAheadFitter.Fit(null!, oneEach)).Should().Throw<ArgumentNullException>();
    }
}
