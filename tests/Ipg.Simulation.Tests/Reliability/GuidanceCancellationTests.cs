using System.Diagnostics;
using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Reproduction;
using Xunit.Abstractions;

namespace Ipg.Simulation.Tests.Reliability;

/// <summary>
/// Runs alone (no other test class of this assembly in parallel): the cancel-to-throw latency is a property of the
/// code, not of how many other tests compete for the two cores and the thread pool. Under a saturated pool a
/// <c>Parallel.For</c> inside a policy waits for pool threads that are injected about once a second, and CI once
/// measured 20 s for a call that takes 5 ms alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCancellationCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Serial cancellation";
}

/// <summary>
/// Cancellation of the experiment harness (docs/reliability.md): <see cref="GuidanceExperiment.Run"/> and
/// <see cref="PaperReproduction.Run"/> cancelled from another thread shortly after they start throw
/// <see cref="OperationCanceledException"/> promptly, and the same runner afterwards gives exactly the metrics it
/// gave before (each target starts from a clone of the start state, so a cancelled run leaves nothing behind).
/// </summary>
[Collection(SerialCancellationCollection.Name)]
public class GuidanceCancellationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    private static readonly ReproductionOptions Options = new()
    {
        Simulator = SimulatorOptions.Paper with { Users = 300, Items = 400, Seed = 21 },
        Collection = LogCollectionOptions.Paper with { Rounds = 20, Seed = 21 },
        Targets = 400,
        Rounds = 20,
    };

    /// <summary>Cancels <paramref name="call"/> (run repeatedly) from another thread after the delay; asserts it threw within the bound.</summary>
    private void CancelDuring(string what, Action<CancellationToken> call)
    {
        var latency = Ipg.Tests.Shared.CancellationProbe.Measure(call, Delay, TimeSpan.FromSeconds(60));
        output.WriteLine($"{what}: threw {latency.TotalMilliseconds:F0} ms after the cancel");
        latency.Should().BeLessThan(Bound, what);
    }

    [Fact]
    public void Experiment_and_reproduction_runs_stop_promptly_and_the_runner_gives_the_same_metrics_afterwards()
    {
        var world = PaperReproduction.CollectWorld(Options);
        var encoder = TestPresets.TrueItemEncoder(world.EndState);
        var experiment = PaperReproduction.CreateExperiment(world, encoder, Options);
        var policy = new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper));
        var probe = new GuidanceExperiment(experiment.Runner, experiment.Targets.Take(2).ToArray());
        var before = probe.Run(policy).Targets;

        CancelDuring("GuidanceExperiment.Run (400 targets × 20 rounds)", token => experiment.Run(policy, null, token));
        probe.Run(policy).Targets.Should().BeEquivalentTo(before, o => o.WithStrictOrdering());

        IReadOnlyList<IRecommendationPolicy> policies = [policy, new GreedyPolicy(), new RandomPolicy(1)];
        CancelDuring("PaperReproduction.Run (3 policies × 400 targets)", token => PaperReproduction.Run(world, experiment, policies, Options, null, token));
        probe.Run(policy).Targets.Should().BeEquivalentTo(before, o => o.WithStrictOrdering());
    }
}
