using Ipg.Simulation;
using static Ipg.Simulation.Tests.TestPresets;

namespace Ipg.Simulation.Tests;

public class TopicSimulatorTests
{
    private const int D = 20;

    // A one-user world whose embeddings are set by hand: item k has topic k (unit vector on the
    // first dimension of topic k) for k < 10; items 10.. are copies on topic 1.
    private static TopicSimulator HandMade(int users = 1, SimulatorOptions? options = null)
    {
        var sim = new TopicSimulator(options ?? (SimulatorOptions.Paper with { Users = users, Items = 20 }));
        for (var i = 0; i < 20; i++)
        {
            sim.SetItemEmbedding(i, Unit(D, 2 * (i < 10 ? i : 1)));
        }

        for (var u = 0; u < users; u++)
        {
            sim.SetUserEmbedding(u, Unit(D, 0));
        }

        return sim;
    }

    [Fact]
    public void Embeddings_have_unit_norm_and_the_required_signs()
    {
        var sim = new TopicSimulator(Small());
        for (var u = 0; u < sim.UserCount; u++)
        {
            var e = sim.UserEmbedding(u).ToArray();
            Math.Sqrt(e.Sum(x => x * x)).Should().BeApproximately(1, 1e-12);
            var norms = Enumerable.Range(0, 10).Select(t => (e[2 * t] * e[2 * t]) + (e[(2 * t) + 1] * e[(2 * t) + 1])).ToArray();
            var dominant = Array.IndexOf(norms, norms.Max());
            e[2 * dominant].Should().BeGreaterThanOrEqualTo(0);
            e[(2 * dominant) + 1].Should().BeGreaterThanOrEqualTo(0);
        }

        for (var i = 0; i < sim.ItemCount; i++)
        {
            var e = sim.ItemEmbedding(i + 1).ToArray();
            Math.Sqrt(e.Sum(x => x * x)).Should().BeApproximately(1, 1e-12);
            e.Should().OnlyContain(x => x >= 0);
            var norms = Enumerable.Range(0, 10).Select(t => (e[2 * t] * e[2 * t]) + (e[(2 * t) + 1] * e[(2 * t) + 1])).ToArray();
            sim.ItemTopic(i + 1).Should().Be(Array.IndexOf(norms, norms.Max()));
        }

        sim.UserEmbeddings.Length.Should().Be(60 * D);
        sim.ItemEmbeddings.Length.Should().Be(80 * D);
    }

    [Fact]
    public void Same_seed_gives_the_same_state_and_clicks_and_another_seed_does_not()
    {
        var a = new TopicSimulator(Small(11));
        var b = new TopicSimulator(Small(11));
        var c = new TopicSimulator(Small(12));
        a.ComputeStateHash().Should().Be(b.ComputeStateHash()).And.NotBe(c.ComputeStateHash());
        for (var r = 0; r < 5; r++)
        {
            var recs = Enumerable.Range(0, 60).Select(u => (u * 7 + r) % 80).ToArray();
            a.Step(recs).Should().Equal(b.Step(recs));
            c.Step(recs);
        }

        a.ComputeStateHash().Should().Be(b.ComputeStateHash()).And.NotBe(c.ComputeStateHash());
        a.Round.Should().Be(5);
    }

    [Fact]
    public void Click_probability_is_the_published_sigmoid()
    {
        var sim = HandMade();
        sim.ClickProbabilityOfScore(0.7).Should().Be(0.5);
        sim.ClickProbabilityOfScore(0.8).Should().BeApproximately(1 / (1 + Math.Exp(-1)), 1e-15);
        sim.ClickProbabilityOfScore(0.5).Should().BeApproximately(1 / (1 + Math.Exp(2)), 1e-15);

        // user = e0, item id 1 = e0: score 1, P = 1/(1+exp(-3)).
        sim.Preference(0, 1).Should().Be(1);
        sim.ClickProbability(0, 1).Should().BeApproximately(1 / (1 + Math.Exp(-3)), 1e-15);
        sim.ClickProbability(0, 2).Should().BeApproximately(1 / (1 + Math.Exp(7)), 1e-15);
    }

    [Fact]
    public void A_click_drifts_and_renormalises_the_user_and_adds_the_repeat_penalty()
    {
        var sim = HandMade();
        sim.ApplyRound([2], [true]);

        // 0.8·e0 + 0.2·e2 (item id 2 = e2), normalised (spec §3).
        var expected = new double[D];
        expected[0] = 0.8;
        expected[2] = 0.2;
        sim.UserEmbedding(0).ToArray().Should().Equal(Normalised(expected), (x, y) => Math.Abs(x - y) < 1e-15);
        sim.Bias(0, 2).Should().Be(0.1);
        sim.Bias(0, 1).Should().Be(0);
        sim.Preference(0, 2).Should().BeApproximately((0.2 / Math.Sqrt(0.68)) - 0.1, 1e-15);

        sim.ApplyRound([2], [true]);
        sim.Bias(0, 2).Should().BeApproximately(0.2, 1e-15);

        // No click: nothing but the round counter changes.
        var before = sim.UserEmbedding(0).ToArray();
        sim.ApplyRound([3], [false]);
        sim.UserEmbedding(0).ToArray().Should().Equal(before);
        sim.Bias(0, 3).Should().Be(0);
        sim.Round.Should().Be(3);
    }

    [Fact]
    public void Boredom_triggers_at_the_fourth_same_topic_click_and_decays_that_topic()
    {
        var sim = HandMade();
        var expected = Unit(D, 0);

        // Item ids 2, 11, 12, 13 all have topic 1 (dimension 2).
        int[] clicks = [2, 11, 12, 13];
        for (var k = 0; k < 4; k++)
        {
            sim.ApplyRound([clicks[k]], [true]);
            expected = Normalised(expected.Select((x, d) => (0.8 * x) + (d == 2 ? 0.2 : 0)).ToArray());
            if (k == 3)
            {
                // The 4th click makes topic 1 bored and its two dimensions shrink by 0.8.
                expected[2] *= 0.8;
                expected[3] *= 0.8;
                expected = Normalised(expected);
            }

            sim.IsBored(0, 1).Should().Be(k == 3, $"after click {k + 1}");
            sim.UserEmbedding(0).ToArray().Should().Equal(expected, (x, y) => Math.Abs(x - y) < 1e-14);
        }

        sim.IsBored(0, 0).Should().BeFalse();
    }

    [Fact]
    public void A_bored_topic_resets_after_the_duration_once_the_window_no_longer_holds_it()
    {
        // Window 4, threshold 4: one click on another topic drops topic 1 below the threshold.
        var sim = HandMade(options: SimulatorOptions.Paper with { Users = 1, Items = 20, BoredomWindow = 4 });
        foreach (var item in new[] { 2, 11, 12, 13 })
        {
            sim.ApplyRound([item], [true]);
        }

        sim.IsBored(0, 1).Should().BeTrue(); // bored in round 4 (the triggering round counts)
        sim.ApplyRound([4], [true]);          // round 5: a topic-3 click; window 1,1,1,3
        sim.IsBored(0, 1).Should().BeTrue();
        sim.ApplyRound([1], [false]);         // round 6
        sim.ApplyRound([1], [false]);         // round 7
        sim.ApplyRound([1], [false]);         // round 8: fifth bored round
        sim.IsBored(0, 1).Should().BeTrue();
        sim.ApplyRound([1], [false]);         // round 9: reset
        sim.IsBored(0, 1).Should().BeFalse();

        // Clicking topic 1 again: the window 1,1,3,1 holds only three, so no decay, plain drift.
        var before = sim.UserEmbedding(0).ToArray();
        sim.ApplyRound([14], [true]);
        sim.IsBored(0, 1).Should().BeFalse();
        var drift = Normalised(before.Select((x, d) => (0.8 * x) + (d == 2 ? 0.2 : 0)).ToArray());
        sim.UserEmbedding(0).ToArray().Should().Equal(drift, (x, y) => Math.Abs(x - y) < 1e-15);
    }

    [Fact]
    public void A_bored_topic_stays_bored_while_the_window_still_holds_it()
    {
        var sim = HandMade();
        foreach (var item in new[] { 2, 11, 12, 13 })
        {
            sim.ApplyRound([item], [true]);
        }

        for (var r = 0; r < 12; r++)
        {
            sim.ApplyRound([1], [false]);
            sim.IsBored(0, 1).Should().BeTrue($"the window of 10 still holds four topic-1 clicks (round {r})");
        }
    }

    [Fact]
    public void Ground_truth_rank_and_oracle_match_a_naive_reference()
    {
        var sim = new TopicSimulator(Small(3));
        for (var r = 0; r < 10; r++)
        {
            sim.Step(Enumerable.Range(0, 60).Select(u => sim.OracleBestItem(u)).ToArray());
        }

        var prefs = new double[80];
        for (var u = 0; u < 60; u++)
        {
            sim.Preferences(u, prefs);
            for (var i = 0; i < 80; i++)
            {
                // prefs is in catalogue order: position i is item id i + 1.
                var naive = sim.UserEmbedding(u).ToArray().Zip(sim.ItemEmbedding(i + 1).ToArray(), (a, b) => a * b).Sum() - sim.Bias(u, i + 1);
                prefs[i].Should().BeApproximately(naive, 1e-12);
                sim.Preference(u, i + 1).Should().Be(prefs[i]);
            }

            var j = (u * 13) % 80;
            sim.GroundTruthRank(u, j + 1).Should().Be(1 + prefs.Count(p => p > prefs[j]));
            var best = Array.IndexOf(prefs, prefs.Max()) + 1;
            sim.OracleBestItem(u).Should().Be(best);
            sim.GroundTruthRank(u, best).Should().Be(1);
            var secondBest = sim.OracleBestItem(u, id => id == best);
            secondBest.Should().NotBe(best);
            prefs[secondBest - 1].Should().Be(prefs.Where((_, i) => i + 1 != best).Max());
            sim.OracleBestItem(u, _ => true).Should().Be(0);
        }
    }

    [Fact]
    public void Save_and_load_round_trip_continues_identically()
    {
        var a = new TopicSimulator(Small(5));
        var recs = new int[60];
        for (var r = 0; r < 8; r++)
        {
            for (var u = 0; u < 60; u++)
            {
                recs[u] = a.OracleBestItem(u);
            }

            a.Step(recs);
        }

        a.ClickStream = 42;
        using var stream = new MemoryStream();
        a.Save(stream);
        stream.Position = 0;
        var b = TopicSimulator.Load(stream);
        b.ComputeStateHash().Should().Be(a.ComputeStateHash());
        b.Round.Should().Be(8);
        b.ClickStream.Should().Be(42);
        b.Options.Should().Be(a.Options);
        var c = a.Clone();
        c.ComputeStateHash().Should().Be(a.ComputeStateHash());

        for (var r = 0; r < 6; r++)
        {
            for (var u = 0; u < 60; u++)
            {
                recs[u] = 1 + ((u + (r * 17)) % 80);
            }

            var ca = a.Step(recs);
            b.Step(recs).Should().Equal(ca);
            c.Step(recs).Should().Equal(ca);
        }

        b.ComputeStateHash().Should().Be(a.ComputeStateHash());
        c.ComputeStateHash().Should().Be(a.ComputeStateHash());
    }

    [Fact]
    public void Different_click_streams_draw_different_clicks()
    {
        var a = new TopicSimulator(Small(5));
        var b = a.Clone();
        b.ClickStream = 1;
        var recs = Enumerable.Range(0, 60).Select(u => a.OracleBestItem(u)).ToArray();
        var ca = new List<bool>();
        var cb = new List<bool>();
        for (var r = 0; r < 5; r++)
        {
            ca.AddRange(a.Step(recs));
            cb.AddRange(b.Step(recs));
        }

        ca.Should().NotEqual(cb);
    }

    [Fact]
    public void Corrupt_truncated_or_foreign_state_is_refused()
    {
        var sim = new TopicSimulator(Small());
        sim.Step(Repeat(60, 3));
        using var stream = new MemoryStream();
        sim.Save(stream);
        var bytes = stream.ToArray();

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        Load(flipped).Should().Throw<InvalidDataException>().WithMessage("*checksum*");

        Load(bytes[..(bytes.Length - 1)]).Should().Throw<InvalidDataException>();
        Load(bytes[..20]).Should().Throw<InvalidDataException>();
        Load([]).Should().Throw<InvalidDataException>().WithMessage("*truncated*");

        var foreign = (byte[])bytes.Clone();
        foreign[0] = (byte)'X';
        Load(foreign).Should().Throw<InvalidDataException>().WithMessage("*magic*");

        var future = (byte[])bytes.Clone();
        future[8] = 99;
        Load(future).Should().Throw<InvalidDataException>().WithMessage("*version 99*");

        Load(bytes).Should().NotThrow();

        static Func<TopicSimulator> Load(byte[] data) => () => TopicSimulator.Load(new MemoryStream(data));
    }

    [Fact]
    public void Bad_step_input_is_refused_and_leaves_the_state_unchanged()
    {
        var sim = new TopicSimulator(Small());
        var hash = sim.ComputeStateHash();
        var bad = Repeat(60, 1);
        bad[59] = 81;
        sim.Invoking(s => s.Step(bad)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("recommendations");
        sim.Invoking(s => s.Step(new int[59])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("recommendations");
        sim.Invoking(s => s.Step(new int[60], new bool[10])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("clicked");
        sim.ComputeStateHash().Should().Be(hash);

        sim.Invoking(s => s.Preference(60, 0)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("user");
        sim.Invoking(s => s.Preference(0, 0)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("itemId");
        sim.Invoking(s => s.GroundTruthRank(0, 81)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("itemId");
        sim.Invoking(s => s.Step(Repeat(60, -1))).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("recommendations");
        sim.Invoking(s => s.IsBored(0, 10)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("topic");
        sim.Invoking(s => s.Preferences(0, new double[79])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("destination");
    }

    [Fact]
    public void Step_allocates_nothing_in_steady_state()
    {
        // Offset 100: nobody clicks, so no bias entry is ever created; 2,000 users.
        var sim = new TopicSimulator(Small() with { Users = 2000, Offset = 100 });
        var recs = Repeat(2000, 5);
        var clicks = new bool[2000];
        sim.Step(recs, clicks);
        var before = GC.GetAllocatedBytesForCurrentThread();
        sim.Step(recs, clicks);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The per-round generator is the only allocation (a few hundred bytes), never per user.
        allocated.Should().BeLessThan(1024);
    }

    [Fact]
    public void Target_gains_match_cloning_and_applying_the_click()
    {
        var sim = new TopicSimulator(Small(21));
        // Warm up so that bias, windows and boredom are populated (oracle pushes same topics).
        for (var r = 0; r < 15; r++)
        {
            sim.Step(Enumerable.Range(0, 60).Select(u => sim.OracleBestItem(u)).ToArray());
        }

        var gains = new double[80];
        var anyBoredCase = false;
        for (var u = 0; u < 60; u += 7)
        {
            var target = 1 + ((u * 11) % 80);
            sim.TargetGainsIfClicked(u, target, gains);
            for (var i = 0; i < 80; i += 3)
            {
                // gains is in catalogue order: position i is item id i + 1.
                var copy = sim.Clone();
                var recs = new int[60];
                recs[u] = i + 1;
                var clicks = new bool[60];
                clicks[u] = true;
                copy.ApplyRound(recs, clicks);
                var expected = copy.Preference(u, target) - sim.Preference(u, target);
                gains[i].Should().BeApproximately(expected, 1e-12, $"user {u}, item {i}");
                anyBoredCase |= copy.IsBored(u, sim.ItemTopic(i + 1));
            }

            // Clicking the target itself also pays the repeat penalty.
            var self = sim.Clone();
            var r2 = new int[60];
            r2[u] = target;
            var c2 = new bool[60];
            c2[u] = true;
            self.ApplyRound(r2, c2);
            sim.TargetGainsIfClicked(u, target, gains);
            gains[target - 1].Should().BeApproximately(self.Preference(u, target) - sim.Preference(u, target), 1e-12);
        }

        anyBoredCase.Should().BeTrue("the warm-up must exercise the boredom branch");
    }

    [Fact]
    public void The_padding_id_shows_nothing_and_keeps_the_other_users_draws()
    {
        var a = new TopicSimulator(Small(8));
        var b = a.Clone();
        var recs = Enumerable.Range(0, 60).Select(u => a.OracleBestItem(u)).ToArray();
        var withGap = (int[])recs.Clone();
        withGap[10] = 0;
        var ca = a.Step(recs);
        var cb = b.Step(withGap);
        cb[10].Should().BeFalse();
        for (var u = 0; u < 60; u++)
        {
            if (u != 10)
            {
                cb[u].Should().Be(ca[u]);
            }
        }

        b.Invoking(s => s.ApplyRound(withGap, Enumerable.Repeat(true, 60).ToArray())).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("clicked");
    }

    [Fact]
    public void TakeUsers_keeps_the_first_users_state_and_every_item()
    {
        var full = new TopicSimulator(TestPresets.Small());
        full.Step(TestPresets.Repeat(60, 3));
        full.Step(TestPresets.Repeat(60, 3));

        var part = full.TakeUsers(10);

        part.UserCount.Should().Be(10);
        part.ItemCount.Should().Be(full.ItemCount);
        part.Options.Users.Should().Be(10);
        part.ItemEmbeddings.ToArray().Should().Equal(full.ItemEmbeddings.ToArray());
        for (var u = 0; u < 10; u++)
        {
            part.UserEmbedding(u).ToArray().Should().Equal(full.UserEmbedding(u).ToArray());
            part.Bias(u, 3).Should().Be(full.Bias(u, 3));
            part.Preference(u, 5).Should().Be(full.Preference(u, 5));
            for (var t = 0; t < full.Options.Topics; t++)
            {
                part.IsBored(u, t).Should().Be(full.IsBored(u, t));
            }
        }

        full.TakeUsers(60).ComputeStateHash().Should().Be(full.ComputeStateHash());
        FluentActions.Invoking(() => full.TakeUsers(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("userCount");
        FluentActions.Invoking(() => full.TakeUsers(61)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("userCount");
    }

    [Fact]
    public void A_user_range_clicks_exactly_as_its_users_do_in_the_whole_population()
    {
        // A split run (ipg reproduce --shard, docs/distributed.md) relies on this: users 20..34 taken apart click, get
        // bored and move just as they do in the full simulator, round after round.
        var full = new TopicSimulator(TestPresets.Small());
        full.Step(TestPresets.Repeat(60, 3));
        var range = full.TakeUserRange(20, 15);
        range.Invoking(r => r.Save(Stream.Null)).Should().Throw<InvalidOperationException>();
        var rng = new Random(4);
        for (int round = 0; round < 12; round++)
        {
            var shown = Enumerable.Range(0, 60).Select(_ => 1 + rng.Next(full.ItemCount)).ToArray();
            var all = full.Step(shown);
            var part = range.Step(shown.AsSpan(20, 15));
            part.Should().Equal(all.Skip(20).Take(15), $"round {round}");
        }

        for (var u = 0; u < 15; u++)
        {
            range.UserEmbedding(u).ToArray().Should().Equal(full.UserEmbedding(20 + u).ToArray());
            range.Preference(u, 5).Should().Be(full.Preference(20 + u, 5));
        }

        // A range of a range still lines up.
        var inner = full.TakeUserRange(20, 15).TakeUserRange(5, 4);
        var next = Enumerable.Range(0, 60).Select(u => 1 + (u % full.ItemCount)).ToArray();
        inner.Step(next.AsSpan(25, 4)).Should().Equal(full.Step(next).Skip(25).Take(4));
        FluentActions.Invoking(() => full.TakeUserRange(50, 11)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("userCount");
        FluentActions.Invoking(() => full.TakeUserRange(-1, 1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("firstUser");
    }
}
