using Ipg.Simulation;

namespace Ipg.Simulation.Tests;

public class LogCollectorTests
{
    private static readonly SimulatorOptions Options = SimulatorOptions.Paper with { Users = 150, Items = 200, Seed = 99 };

    private static (LogCollectionResult Result, string Hash) Collect(long seed, SimulatorOptions? options = null)
    {
        var sim = new TopicSimulator(options ?? Options);
        var result = new LogCollector(LogCollectionOptions.Paper with { Rounds = 30, Seed = seed }).Collect(sim);
        return (result, sim.ComputeStateHash());
    }

    [Fact]
    public void Same_seed_gives_the_identical_log_and_state()
    {
        var a = Collect(1);
        var b = Collect(1);
        a.Result.Interactions.Should().Equal(b.Result.Interactions);
        a.Hash.Should().Be(b.Hash);
        a.Result.Recommendations.Should().Be(30 * 150);
        a.Result.ClickRate.Should().BeInRange(0.05, 0.6);
    }

    [Fact]
    public void Another_collection_or_simulator_seed_gives_another_log()
    {
        var a = Collect(1);
        Collect(2).Result.Interactions.Should().NotEqual(a.Result.Interactions);
        Collect(1, Options with { Seed = 100 }).Result.Interactions.Should().NotEqual(a.Result.Interactions);
    }

    [Fact]
    public void The_log_is_in_time_order_and_in_range()
    {
        var (result, _) = Collect(3);
        result.Interactions.Should().OnlyContain(x => x.User >= 0 && x.User < 150 && x.Item >= 1 && x.Item <= 200);

        // Inside a round users ascend; a new round starts whenever the user index does not grow.
        var rounds = 1;
        for (var k = 1; k < result.Interactions.Count; k++)
        {
            if (result.Interactions[k].User <= result.Interactions[k - 1].User)
            {
                rounds++;
            }
        }

        rounds.Should().BeLessThanOrEqualTo(30);
    }

    [Fact]
    public void Pinned_golden_hash_guards_cross_machine_determinism()
    {
        // If this changes, the paper log changes too: regenerate /work/scratch/paper-log.txt,
        // update docs/simulator.md, and tell whoever trains on it.
        var (result, hash) = Collect(2024, SimulatorOptions.Paper with { Users = 100, Items = 120, Seed = 2024 });
        (result.Clicks + " " + hash).Should().Be(GoldenSmallCollection);

        // The paper-scale end state (seed 2024) hashed to
        // a86f95e5d6a9d6a5a435d271a67e71384b77309ff32978aef6aa2dc248571c4d with 162,408 clicks;
        // too slow (~10 s) for the unit suite, checked by `ipg collect-log` (docs/simulator.md).
    }

    internal const string GoldenSmallCollection = "251 3acd4fb992ee56881b6bc9accac9050b790e3e47acd43eb3beb5fc57c4523a5e";

    [Fact]
    public void Options_are_validated_by_name()
    {
        FluentActions.Invoking(() => new LogCollector(LogCollectionOptions.Paper with { Rounds = -1 }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("Rounds");
        FluentActions.Invoking(() => new LogCollector(LogCollectionOptions.Paper with { RandomItemProbability = 1.5 }))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("RandomItemProbability");
    }

    [Fact]
    public void Oracle_only_collection_never_repeats_an_item_to_a_user()
    {
        var sim = new TopicSimulator(Options with { Users = 20, Items = 40 });
        var result = new LogCollector(LogCollectionOptions.Paper with { Rounds = 40, RandomItemProbability = 0 }).Collect(sim);
        result.Interactions.GroupBy(x => x.User).Should().OnlyContain(g => g.Select(x => x.Item).Distinct().Count() == g.Count());
    }

    [Fact]
    public void Impressions_are_kept_only_when_asked_and_their_clicked_subset_is_the_click_log()
    {
        var options = LogCollectionOptions.Paper with { Rounds = 12, Seed = 4 };
        var plain = new LogCollector(options).Collect(new TopicSimulator(Options));
        var kept = new LogCollector(options with { KeepImpressions = true }).Collect(new TopicSimulator(Options));

        plain.Impressions.Should().BeNull();
        kept.Interactions.Should().Equal(plain.Interactions, "keeping impressions must not change the log");
        var impressions = kept.Impressions!;
        impressions.Should().HaveCount(12 * 150, "every user is shown one item per round");
        impressions.Select(x => (x.Round, x.User)).Should().Equal(
            Enumerable.Range(0, 12).SelectMany(r => Enumerable.Range(0, 150).Select(u => (r, u))), "time order: rounds, then users");
        impressions.Should().OnlyContain(x => x.Item >= 1 && x.Item <= 200);
        impressions.Where(x => x.Clicked).Select(x => new Interaction(x.User, x.Item)).Should().Equal(kept.Interactions);
        impressions.Count(x => !x.Clicked).Should().BePositive("most shown items are not clicked");
    }
}
