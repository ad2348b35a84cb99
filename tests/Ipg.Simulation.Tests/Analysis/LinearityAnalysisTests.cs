using Ipg.Encoders;
using Ipg.Simulation.Analysis;

namespace Ipg.Simulation.Tests.Analysis;

public class LinearityAnalysisTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void The_mean_encoder_at_a_fixed_history_length_n_has_gamma_n_over_n_plus_one(int n)
    {
        var items = TestPresets.RandomTable(40, 6, seed: n);
        var encoder = new InMemoryEncoder(items);
        var random = new Random(n);
        var pairs = Enumerable.Range(0, 30)
            .Select(_ => ((ReadOnlyMemory<int>)Enumerable.Range(0, n).Select(_ => random.Next(1, 41)).ToArray(), random.Next(1, 41)))
            .ToList();

        var fit = LinearityAnalysis.FitGamma(encoder, pairs);

        fit.Pairs.Should().Be(30);
        fit.Gamma.Should().BeApproximately(n / (n + 1.0), 1e-5);
        fit.RelativeResidual.Should().BeLessThan(1e-3);
    }

    [Fact]
    public void On_an_exactly_linear_encoder_linear_and_exact_look_ahead_agree_and_gamma_is_recovered()
    {
        var items = TestPresets.RandomTable(50, 8, seed: 1);
        var encoder = TestPresets.ExponentialEncoder(items, 0.7f);
        var options = new LinearityOptions { Users = 40, TargetsPerUser = 3, Candidates = 20, ShortlistSizes = [1, 5] };

        var report = LinearityAnalysis.Analyze(encoder, TestPresets.RandomSequences(60, 50, 2, 30, seed: 2), options);

        var all = report.Overall;
        all.Histories.Should().Be(40);
        all.Pairs.Should().Be(120);
        all.LoggedMoves.Gamma.Should().BeApproximately(0.7, 1e-4);
        all.CandidateMoves.Gamma.Should().BeApproximately(0.7, 1e-4);
        all.CandidateMoves.Pairs.Should().Be(40 * 20);
        all.CandidateMoves.RelativeResidual.Should().BeLessThan(1e-3);
        all.PearsonG.Should().BeApproximately(1, 1e-5);
        all.SpearmanG.Should().BeApproximately(1, 1e-5);
        all.SpearmanScore.Should().BeApproximately(1, 1e-5);
        all.TopKOverlap.Should().Be(1);
        all.Top1Agreement.Should().Be(1);
        all.ExactBestInLinearShortlist[1].Should().Be(1);
        all.AffineSpearmanScore.Should().BeApproximately(1, 1e-5);
        all.AffineTop1Agreement.Should().Be(1);
        report.Buckets.Sum(b => b.Histories).Should().Be(40);
        report.Buckets.Select(b => b.Label).Should().BeSubsetOf(["1–4", "5–9", "10–19", "20–49"]);
    }

    [Fact]
    public void A_last_item_encoder_has_gamma_zero()
    {
        // ENC(s) = ê_{last}: ENC(s ⊕ i) = ê_i exactly, i.e. γ = 0.
        var items = TestPresets.RandomTable(30, 5, seed: 4);
        var encoder = new InMemoryEncoder(items, representation: (history, table, destination) =>
        {
            if (history.IsEmpty)
            {
                destination.Clear();
            }
            else
            {
                table[history[^1]].CopyTo(destination);
            }
        });

        var report = LinearityAnalysis.Analyze(encoder, TestPresets.RandomSequences(20, 30, 2, 10, seed: 5), new LinearityOptions { Users = 10, Candidates = 0 });

        report.Overall.LoggedMoves.Gamma.Should().BeApproximately(0, 1e-6);
        report.Overall.CandidateMoves.RelativeResidual.Should().BeLessThan(1e-3);
    }

    [Fact]
    public void The_same_seed_gives_the_same_report_and_histories_are_cut_to_the_window()
    {
        var items = TestPresets.RandomTable(40, 6, seed: 8);
        var encoder = new InMemoryEncoder(items, maxHistoryLength: 5);
        var sequences = TestPresets.RandomSequences(30, 40, 2, 25, seed: 9);
        var options = new LinearityOptions { Users = 15, Candidates = 10 };

        var first = LinearityAnalysis.Analyze(encoder, sequences, options);
        var second = LinearityAnalysis.Analyze(encoder, sequences, options);

        first.Overall.PearsonG.Should().Be(second.Overall.PearsonG);
        first.Overall.CandidateMoves.Gamma.Should().Be(second.Overall.CandidateMoves.Gamma);
        first.MaxHistoryLength.Should().Be(5);
        first.Overall.CandidateMoves.Gamma.Should().BeInRange(0, 1);
    }

    [Fact]
    public void Bad_input_is_refused_with_the_parameter_named()
    {
        var encoder = new InMemoryEncoder(TestPresets.RandomTable(10, 3, seed: 1));
        FluentActions.Invoking(() => LinearityAnalysis.Analyze(encoder, [[1, 11]])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("sequences");
        FluentActions.Invoking(() => LinearityAnalysis.Analyze(encoder, [[1], []])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("sequences");
        FluentActions.Invoking(() => LinearityAnalysis.Analyze(encoder, [[1, 2]], new LinearityOptions { Users = 0 })).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("Users");
        FluentActions.Invoking(() => LinearityAnalysis.Analyze(encoder, [[1, 2]], new LinearityOptions { BucketEdges = [2, 5] })).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("BucketEdges");
    }
}
