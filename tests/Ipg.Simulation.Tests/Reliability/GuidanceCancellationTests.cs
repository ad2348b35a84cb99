using System.Diagnostics;
using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Reproduction;
using Xunit.Abstractions;

namespace Ipg.Simulation.Tests.Reliability;

/// <summary>
/// Cancellation of the experiment harness (docs/reliability.md): <see cref="GuidanceExperiment.Run"/> and
/// <see cref="PaperReproduction.Run"/> cancelled from another thread shortly after they start throw
/// <see cref="OperationCanceledException"/> promptly, and the same runner afterwards gives exactly the metrics it
/// gave before (each target starts from a clone of the start state, so a cancelled run leaves nothing behind).
/// </summary>
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

    private void CancelDuring(string what, Action<CancellationToken> call)
    {
        using var cts = new CancellationTokenSource();
        long cancelledAt = 0;
        var watch = Stopwatch.StartNew();

        // A dedicated thread rather than CancelAfter: a timer callback needs a thread-pool thread, and the
        // operations under test keep the pool busy (Parallel.For) on a 2-core machine.
        var canceller = new Thread(() =>
        {
            Thread.Sleep(Delay);
            Volatile.Write(ref cancelledAt, Stopwatch.GetTimestamp());
            cts.Cancel();
        });
        canceller.Start();
        FluentActions.Invoking(() => call(cts.Token)).Should().Throw<OperationCanceledException>(what);
        long thrownAt = Stopwatch.GetTimestamp();
        canceller.Join();
        cancelledAt.Should().NotBe(0, $"{what} must still be running when it is cancelled");
        var latency = Stopwatch.GetElapsedTime(Volatile.Read(ref cancelledAt), thrownAt);
        output.WriteLine($"{what}: threw {latency.TotalMilliseconds:F0} ms after the cancel (total {watch.ElapsedMilliseconds} ms)");
        latency.Should().BeLessThan(Bound, what);
    }

    private static InMemoryEncoder TrueItemEncoder(TopicSimulator world)
    {
        var rows = new float[world.ItemCount * world.Dimension];
        for (var k = 0; k < rows.Length; k++)
        {
            rows[k] = (float)world.ItemEmbeddings[k];
        }

        return new InMemoryEncoder(ItemEmbeddingTable.FromItemRows(world.ItemCount, world.Dimension, rows), maxHistoryLength: 10);
    }

    [Fact]
    public void Experiment_and_reproduction_runs_stop_promptly_and_the_runner_gives_the_same_metrics_afterwards()
    {
        var world = PaperReproduction.CollectWorld(Options);
        var encoder = TrueItemEncoder(world.EndState);
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
