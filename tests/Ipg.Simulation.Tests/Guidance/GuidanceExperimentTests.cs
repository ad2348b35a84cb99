using Ipg.Policies;
using Ipg.Simulation.Guidance;

namespace Ipg.Simulation.Tests.Guidance;

public class GuidanceExperimentTests
{
    [Fact]
    public void Sampled_targets_are_distinct_in_range_and_seeded()
    {
        var a = GuidanceExperiment.SampleTargets(3533, 50, 2024);
        a.Should().HaveCount(50).And.OnlyHaveUniqueItems().And.OnlyContain(id => id >= 1 && id <= 3533);
        GuidanceExperiment.SampleTargets(3533, 50, 2024).Should().Equal(a);
        GuidanceExperiment.SampleTargets(3533, 50, 2025).Should().NotEqual(a);
        GuidanceExperiment.SampleTargets(5, 5, 1).Should().BeEquivalentTo([1, 2, 3, 4, 5]);
        FluentActions.Invoking(() => GuidanceExperiment.SampleTargets(5, 6, 1)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("count");
    }

    [Fact]
    public void Runs_every_target_from_the_log_and_summarises()
    {
        var world = new GuidanceTestWorld(users: 40, items: 60, rounds: 20);
        var targets = GuidanceExperiment.SampleTargets(60, 3, 7);
        var experiment = GuidanceExperiment.FromLog(world.Start, world.Log, world.Encoder, targets, GuidanceOptions.Paper);
        var result = experiment.Run(new RandomPolicy(2));
        result.PolicyName.Should().Be("Random");
        result.Targets.Select(t => t.TargetItem).Should().Equal(targets);
        result.Summary.Select(s => s.Rounds).Should().Equal(5, 10, 15, 20);
        result.Summary[0].HitRate.Count.Should().Be(3);
        result.Summary[0].HitRate.Mean.Should().BeApproximately(result.Targets.Average(t => t.At(5).HitRate), 1e-12);
        FluentActions.Invoking(() => new GuidanceExperiment(experiment.Runner, [61])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("targetItemIds");
    }
}
