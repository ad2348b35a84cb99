using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Tests.Metrics;

public class MetricsOptionsTests
{
    [Fact]
    public void Paper_preset()
    {
        MetricsOptions.Paper.Checkpoints.Should().Equal(5, 10, 15, 20);
        MetricsOptions.Paper.MaxRounds.Should().Be(20);
        MetricsOptions.Paper.RankCap.Should().BeNull();
        MetricsOptions.Paper.ConfidenceLevel.Should().Be(0.95);
    }

    [Theory]
    [InlineData(new int[0], null, 0.95, "Checkpoints")]
    [InlineData(new[] { 5, 5 }, null, 0.95, "Checkpoints")]
    [InlineData(new[] { 0, 5 }, null, 0.95, "Checkpoints")]
    [InlineData(new[] { 5 }, 0, 0.95, "RankCap")]
    [InlineData(new[] { 5 }, null, 1.0, "ConfidenceLevel")]
    public void Bad_options_are_refused_by_name(int[] checkpoints, int? cap, double level, string name) =>
        (MetricsOptions.Paper with { Checkpoints = checkpoints, RankCap = cap, ConfidenceLevel = level })
            .Invoking(o => o.Validate()).Should().Throw<ArgumentException>().Which.ParamName.Should().Be(name);
}
