using Ipg.Simulation;
using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Tests.Metrics;

public class GuidanceMetricsRecorderTests
{
    // A hand-made 2-user run, checkpoints K = 2 and 3.
    //   before round 1: pref = [0.1, 0.5], rank = [10, 3]
    //   round 1: user 0 clicks, user 1 does not
    //   round 2: nobody clicks           -> K = 2: pref = [0.3, 0.4], rank = [4, 5]
    //   round 3: user 0 clicks, user 1 gets nothing -> K = 3: pref = [0.6, 0.5], rank = [1, 300]
    private static TargetMetrics Run(int? cap)
    {
        var r = new GuidanceMetricsRecorder(2, targetItem: 42, MetricsOptions.Paper with { Checkpoints = [2, 3], RankCap = cap });
        r.NeedsGroundTruth.Should().BeTrue();
        r.RecordGroundTruth([0.1, 0.5], [10, 3]);
        r.NeedsGroundTruth.Should().BeFalse();
        r.RecordRound([4, 7], [true, false]);
        r.NeedsGroundTruth.Should().BeFalse();
        r.RecordRound([5, 8], [false, false]);
        r.NeedsGroundTruth.Should().BeTrue();
        r.RecordGroundTruth([0.3, 0.4], [4, 5]);
        r.RecordRound([6, -1], [true, false]);
        r.RecordGroundTruth([0.6, 0.5], [1, 300]);
        r.NeedsGroundTruth.Should().BeFalse();
        return r.GetResult();
    }

    [Fact]
    public void Hand_made_two_user_run_gives_the_written_out_numbers()
    {
        var m = Run(cap: null);
        m.TargetItem.Should().Be(42);
        m.Checkpoints.Select(c => c.Rounds).Should().Equal(2, 3);

        // HR@2 = mean(1/2, 0/2) = 0.25; IoI@2 = mean(0.3 − 0.1, 0.4 − 0.5) = 0.05;
        // IoR@2 = mean(10 − 4, 3 − 5) = 2.
        m.At(2).HitRate.Should().BeApproximately(0.25, 1e-15);
        m.At(2).IncreaseOfInterest.Should().BeApproximately(0.05, 1e-15);
        m.At(2).IncreaseOfRanking.Should().Be(2);

        // HR@3 = mean(2/3, 0/2) = 1/3 (user 1 got nothing in round 3);
        // IoI@3 = mean(0.5, 0) = 0.25; IoR@3 = mean(9, 3 − 300) = −144.
        m.At(3).HitRate.Should().BeApproximately(1.0 / 3, 1e-15);
        m.At(3).IncreaseOfInterest.Should().BeApproximately(0.25, 1e-15);
        m.At(3).IncreaseOfRanking.Should().Be(-144);
    }

    [Fact]
    public void Rank_cap_counts_every_rank_beyond_the_cap_as_cap_plus_one()
    {
        // Cap 200: rank 300 counts as 201, so IoR@3 = mean(9, 3 − 201) = −94.5; K = 2 is unaffected.
        var m = Run(cap: 200);
        m.At(3).IncreaseOfRanking.Should().Be(-94.5);
        m.At(2).IncreaseOfRanking.Should().Be(2);

        // Cap 4: ranks 10 → 5, 5 → 5: IoR@2 = mean(5 − 4, 3 − 5) = −0.5.
        Run(cap: 4).At(2).IncreaseOfRanking.Should().Be(-0.5);
    }

    [Fact]
    public void Protocol_order_is_enforced()
    {
        var r = new GuidanceMetricsRecorder(2, 0, MetricsOptions.Paper with { Checkpoints = [1] });
        r.Invoking(x => x.RecordRound([0, 0], [false, false])).Should().Throw<InvalidOperationException>();
        r.RecordGroundTruth([0, 0], [1, 1]);
        r.Invoking(x => x.RecordGroundTruth([0, 0], [1, 1])).Should().Throw<InvalidOperationException>();
        r.RecordRound([0, 0], [false, false]);
        r.Invoking(x => x.RecordRound([0, 0], [false, false])).Should().Throw<InvalidOperationException>();
        r.RecordGroundTruth([0, 0], [1, 1]);
        r.Invoking(x => x.RecordRound([0, 0], [false, false])).Should().Throw<InvalidOperationException>().WithMessage("*K = 1*");
    }

    [Fact]
    public void Bad_input_is_refused_by_name()
    {
        var r = new GuidanceMetricsRecorder(2, 0, MetricsOptions.Paper);
        r.Invoking(x => x.RecordGroundTruth([0], [1, 1])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("targetPreferences");
        r.Invoking(x => x.RecordGroundTruth([0, 0], [1, 0])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("targetRanks");
        r.RecordGroundTruth([0, 0], [1, 1]);
        r.Invoking(x => x.RecordRound([0], [false, false])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("recommended");
        r.Invoking(x => x.RecordRound([-1, 0], [true, false])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("clicked");
        FluentActions.Invoking(() => new GuidanceMetricsRecorder(0, 0, MetricsOptions.Paper)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Ground_truth_from_the_simulator_matches_its_queries()
    {
        var sim = new TopicSimulator(SimulatorOptions.Paper with { Users = 30, Items = 50, Seed = 4 });
        var r = new GuidanceMetricsRecorder(30, 7, MetricsOptions.Paper with { Checkpoints = [1] });
        r.RecordGroundTruth(sim, 7);
        var before = Enumerable.Range(0, 30).Select(u => (P: sim.Preference(u, 7), R: sim.GroundTruthRank(u, 7))).ToArray();
        var recs = Enumerable.Repeat(7, 30).ToArray();
        var clicks = sim.Step(recs);
        r.RecordRound(recs, clicks);
        r.RecordGroundTruth(sim, 7);
        var m = r.GetResult().At(1);
        m.HitRate.Should().BeApproximately(clicks.Count(c => c) / 30.0, 1e-12);
        m.IncreaseOfInterest.Should().BeApproximately(Enumerable.Range(0, 30).Average(u => sim.Preference(u, 7) - before[u].P), 1e-12);
        m.IncreaseOfRanking.Should().BeApproximately(Enumerable.Range(0, 30).Average(u => before[u].R - sim.GroundTruthRank(u, 7)), 1e-12);
    }
}
