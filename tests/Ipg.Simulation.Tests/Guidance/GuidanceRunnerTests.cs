using System.Collections.Concurrent;
using Ipg.Policies;
using Ipg.Simulation;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Metrics;
using Ipg.Tests.Shared;

namespace Ipg.Simulation.Tests.Guidance;

public class GuidanceRunnerTests
{
    private static readonly GuidanceTestWorld World = new();

    private static GuidanceRunner Runner(GuidanceOptions? options = null)
    {
        var seqs = InteractionLogFormat.ToSequences(World.Log, World.Start.UserCount);
        return new GuidanceRunner(World.Start, World.Encoder, seqs, options ?? GuidanceOptions.Paper);
    }

    [Fact]
    public void End_to_end_metrics_are_deterministic_and_the_oracle_beats_random()
    {
        var runner = Runner();
        var hash = World.Start.ComputeStateHash();
        var random = runner.RunTarget(new RandomPolicy(3), 17);
        runner.RunTarget(new RandomPolicy(3), 17).Should().BeEquivalentTo(random);
        var oracle = runner.RunTarget(new OraclePolicy(), 17);
        var greedy = runner.RunTarget(new GreedyPolicy(), 17);

        World.Start.ComputeStateHash().Should().Be(hash, "the start state is never modified");
        random.Checkpoints.Select(c => c.Rounds).Should().Equal(5, 10, 15, 20);
        oracle.At(20).IncreaseOfInterest.Should().BeGreaterThan(random.At(20).IncreaseOfInterest);
        oracle.At(20).IncreaseOfRanking.Should().BeGreaterThan(random.At(20).IncreaseOfRanking);
        greedy.At(5).HitRate.Should().BeGreaterThan(random.At(5).HitRate, "the true-embedding encoder makes greedy accurate");
        foreach (var c in random.Checkpoints.Concat(oracle.Checkpoints))
        {
            c.HitRate.Should().BeInRange(0, 1);
        }
    }

    [Fact]
    public void Every_recommended_item_is_excluded_afterwards_and_clicks_extend_the_sequences()
    {
        var spy = new SpyPolicy(new RandomPolicy(1));
        Runner(GuidanceOptions.Paper with { Metrics = MetricsOptions.Paper with { Checkpoints = [3] }, Rounds = 6 }).RunTarget(spy, 5);
        spy.Rounds.Should().Be(6);
        foreach (var (user, items) in spy.Recommended)
        {
            items.Should().OnlyHaveUniqueItems($"user {user} must never get an item twice");
        }

        // History lengths never shrink, grow by at most one per round, and some grow.
        var grew = false;
        for (var r = 1; r < spy.HistoryLengths.Count; r++)
        {
            for (var u = 0; u < World.Start.UserCount; u++)
            {
                var delta = spy.HistoryLengths[r][u] - spy.HistoryLengths[r - 1][u];
                delta.Should().BeInRange(0, 1);
                grew |= delta == 1 || spy.HistoryLengths[r][u] == 10;
            }
        }

        grew.Should().BeTrue();
        spy.HistoryLengths.SelectMany(x => x).Should().OnlyContain(len => len <= 10, "the sliding window is the encoder's max length");
    }

    [Fact]
    public void Progress_and_cancellation()
    {
        var reports = new List<GuidanceProgress>();
        Runner().RunTarget(new RandomPolicy(), 9, new SyncProgress(reports.Add));
        reports.Should().HaveCount(20);
        reports[^1].Round.Should().Be(20);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Runner().Invoking(r => r.RunTarget(new RandomPolicy(), 9, null, cts.Token)).Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        var runner = Runner();
        runner.Invoking(r => r.RunTarget(new RandomPolicy(), 0)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("targetItemId");
        FluentActions.Invoking(() => new GuidanceRunner(World.Start, World.Encoder, [[1]], GuidanceOptions.Paper))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("initialSequences");
        FluentActions.Invoking(() => Runner(GuidanceOptions.Paper with { Rounds = 10 }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("Rounds");
    }

    [Fact]
    public void Users_are_re_encoded_only_for_policies_that_read_encodings()
    {
        var counting = new CountingEncoder(World.Encoder);
        var seqs = InteractionLogFormat.ToSequences(World.Log, World.Start.UserCount);
        var runner = new GuidanceRunner(World.Start, counting, seqs, GuidanceOptions.Paper);

        runner.RunTarget(new RandomPolicy(2), 7);
        counting.Calls.Should().Be(1, "only the shared round-0 encoding: random ignores the encodings");
        runner.RunTarget(new OraclePolicy(), 7);
        counting.Calls.Should().Be(1);

        runner.RunTarget(new GreedyPolicy(), 7);
        counting.Calls.Should().BeGreaterThan(10, "greedy reads the encodings, so clicked users are re-encoded every round");
    }

    private sealed class CountingEncoder(ISequentialEncoder inner) : DelegatingEncoder(inner)
    {
        public int Calls;

        public override void EncodeBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, Span<float> destination, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            Inner.EncodeBatch(histories, destination, cancellationToken);
        }
    }

    private sealed class SyncProgress(Action<GuidanceProgress> report) : IProgress<GuidanceProgress>
    {
        public void Report(GuidanceProgress value) => report(value);
    }

    private sealed class SpyPolicy(IRecommendationPolicy inner) : IRecommendationPolicy
    {
        public ConcurrentDictionary<int, List<int>> Recommended { get; } = new();

        public List<int[]> HistoryLengths { get; } = [];

        public int Rounds { get; private set; }

        public string Name => "Spy";

        public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
        {
            inner.Recommend(context, slates, cancellationToken);
            HistoryLengths.Add(context.Histories.Select(h => h.Length).ToArray());
            for (var u = 0; u < context.UserCount; u++)
            {
                Recommended.GetOrAdd(u, _ => []).Add(slates.Span[u * context.SlateSize]);
            }

            Rounds++;
        }
    }
}
