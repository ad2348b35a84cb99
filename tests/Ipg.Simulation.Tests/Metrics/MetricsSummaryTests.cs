using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Tests.Metrics;

public class MetricsSummaryTests
{
    [Fact]
    public void Student_t_interval_of_four_values()
    {
        // mean 2.5, sd = √(5/3) = 1.290994, t(0.975, 3) = 3.182446, half-width = 3.182446·1.290994/2.
        var e = MetricsSummary.Estimate([1, 2, 3, 4]);
        e.Mean.Should().Be(2.5);
        e.StandardDeviation.Should().BeApproximately(Math.Sqrt(5.0 / 3), 1e-12);
        e.HalfWidth.Should().BeApproximately(3.182446305 * Math.Sqrt(5.0 / 3) / 2, 1e-8);
        e.Lower.Should().BeApproximately(2.5 - e.HalfWidth, 1e-15);
        e.Count.Should().Be(4);
    }

    [Fact]
    public void One_target_has_no_interval()
    {
        var e = MetricsSummary.Estimate([0.3]);
        e.Mean.Should().Be(0.3);
        double.IsNaN(e.HalfWidth).Should().BeTrue();
    }

    [Fact]
    public void Summarize_averages_each_metric_over_targets_per_checkpoint()
    {
        TargetMetrics[] targets =
        [
            new(1, [new(5, 0.2, 0.1, 3), new(10, 0.3, 0.2, 5)]),
            new(2, [new(5, 0.4, 0.3, 1), new(10, 0.5, 0.4, 7)]),
        ];
        var s = MetricsSummary.Summarize(targets);
        s.Select(x => x.Rounds).Should().Equal(5, 10);
        s[0].HitRate.Mean.Should().BeApproximately(0.3, 1e-15);
        s[0].IncreaseOfInterest.Mean.Should().BeApproximately(0.2, 1e-15);
        s[1].IncreaseOfRanking.Mean.Should().Be(6);

        // Two values: sd = |a − b|/√2, t(0.975, 1) = 12.7062.
        s[1].IncreaseOfRanking.HalfWidth.Should().BeApproximately(12.7062047 * Math.Sqrt(2) / Math.Sqrt(2), 1e-5);
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        FluentActions.Invoking(() => MetricsSummary.Summarize([])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("targets");
        FluentActions.Invoking(() => MetricsSummary.Estimate([1.0], 1.0)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("confidenceLevel");
    }
}
