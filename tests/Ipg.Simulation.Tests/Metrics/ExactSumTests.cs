using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Tests.Metrics;

/// <summary>The order-independent sum behind split runs: any order and any grouping of the terms give the same bits.</summary>
public class ExactSumTests
{
    [Fact]
    public void Any_order_and_any_grouping_give_the_same_sum()
    {
        var rng = new Random(11);
        double[] terms = [.. Enumerable.Range(0, 5000).Select(i => (rng.NextDouble() - 0.3) * Math.Pow(10, rng.Next(-6, 4)))];
        var forward = terms.Aggregate(default(ExactSum), (s, t) => s.Add(t));
        var shuffled = terms.OrderBy(_ => rng.Next()).Aggregate(default(ExactSum), (s, t) => s.Add(t));
        var grouped = terms.Chunk(37).Select(c => c.Aggregate(default(ExactSum), (s, t) => s.Add(t))).Aggregate((a, b) => a + b);

        shuffled.Should().Be(forward);
        grouped.Should().Be(forward);
        forward.Value.Should().BeApproximately(terms.Sum(), 1e-9);

    }

    [Fact]
    public void The_text_form_round_trips_and_non_finite_terms_are_refused()
    {
        var sum = default(ExactSum).Add(0.125).Add(-3.5).Add(1e-12);
        ExactSum.Parse(sum.ToString()).Should().Be(sum);
        default(ExactSum).Add(0.75).Value.Should().Be(0.75);
        FluentActions.Invoking(() => default(ExactSum).Add(double.NaN)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => default(ExactSum).Add(double.PositiveInfinity)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => ExactSum.Parse("1.5")).Should().Throw<FormatException>();
    }

    [Fact]
    public void Checkpoint_sums_add_only_at_the_same_checkpoint()
    {
        var a = new CheckpointSums(10, 3, 2, default(ExactSum).Add(1.0), default(ExactSum).Add(0.3), default(ExactSum).Add(6));
        var b = new CheckpointSums(10, 1, 1, default(ExactSum).Add(0.5), default(ExactSum).Add(0.1), default(ExactSum).Add(2));
        var m = (a + b).ToMetrics();
        m.HitRate.Should().Be(1.5 / 3);
        m.IncreaseOfRanking.Should().Be(2.0);
        FluentActions.Invoking(() => a + (b with { Rounds = 20 })).Should().Throw<ArgumentException>();
    }
}
