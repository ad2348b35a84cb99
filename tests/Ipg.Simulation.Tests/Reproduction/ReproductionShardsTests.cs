using System.Text.Json.Nodes;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Reproduction;

namespace Ipg.Simulation.Tests.Reproduction;

/// <summary>
/// Sharded reproductions: the split covers every (target, user) once, and a complete set of shards merges into the single
/// run's results.json with every metric bit for bit; an incomplete, duplicated, mixed or foreign set is refused.
/// </summary>
public class ReproductionShardsTests
{
    private static readonly ReproductionOptions Small = new()
    {
        Simulator = SimulatorOptions.Paper with { Users = 80, Items = 120, Seed = 5 },
        Collection = LogCollectionOptions.Paper with { Rounds = 20, Seed = 5 },
        Users = 60,
        Targets = 7,
        Rounds = 6,
    };

    private static readonly Lazy<Fixture> s_fixture = new(() => new Fixture());

    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/4", 2, 4)]
    [InlineData("16/16", 16, 16)]
    public void Parse_reads_i_of_n(string text, int index, int count)
    {
        var shard = ReproductionShard.Parse(text);
        shard.Index.Should().Be(index);
        shard.Count.Should().Be(count);
        shard.ToString().Should().Be(text);
    }

    [Theory]
    [InlineData("0/4")]
    [InlineData("5/4")]
    [InlineData("1/0")]
    [InlineData("-1/4")]
    [InlineData(" 1/4")]
    [InlineData("1/4/2")]
    [InlineData("")]
    [InlineData("one/four")]
    public void Parse_refuses_anything_else(string text) =>
        FluentActions.Invoking(() => ReproductionShard.Parse(text)).Should().Throw<FormatException>().WithMessage("*i/n*");

    [Fact]
    public void The_file_name_sorts_in_shard_order() =>
        new ReproductionShard(3, 16).FileName.Should().Be("shard-0003-of-0016.json");

    [Theory]
    [InlineData(7, 60, 1)]
    [InlineData(7, 60, 3)]
    [InlineData(7, 60, 7)]
    [InlineData(50, 10, 8)]
    [InlineData(3, 5, 15)]
    [InlineData(3, 60, 4)]
    [InlineData(3, 60, 16)]
    [InlineData(1, 6034, 7)]
    public void The_units_cover_every_target_and_user_once_in_order(int targets, int users, int shards)
    {
        var all = Enumerable.Range(1, shards).Select(i => new ReproductionShard(i, shards).Units(targets, users)).ToList();
        var pairs = all.SelectMany(units => units.SelectMany(u => Enumerable.Range(u.FirstUser, u.Users).Select(user => ((long)u.TargetIndex * users) + user))).ToList();
        pairs.Should().Equal(Enumerable.Range(0, targets * users).Select(x => (long)x), "every (target, user) once, target by target");
        all.Should().OnlyContain(units => units.Count > 0 && units.All(u => u.Users >= 1));
        if (shards <= targets)
        {
            // Whole targets, blocks differing by at most one target.
            all.Should().OnlyContain(units => units.All(u => u.FirstUser == 0 && u.Users == users));
            (all.Max(b => b.Count) - all.Min(b => b.Count)).Should().BeLessThanOrEqualTo(1);
        }
        else
        {
            // User ranges: every shard holds the same number of pairs, give or take one, and touches at most two targets.
            var sizes = all.Select(units => units.Sum(u => u.Users)).ToList();
            (sizes.Max() - sizes.Min()).Should().BeLessThanOrEqualTo(1);
            all.Should().OnlyContain(units => units.Count <= 2);
        }
    }

    [Fact]
    public void More_shards_than_target_user_pairs_are_refused() =>
        FluentActions.Invoking(() => new ReproductionShard(1, 16).Units(3, 5)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at most 15*");

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(10)] // more shards than the 7 targets: user ranges
    [InlineData(16)]
    public void Merged_shards_equal_the_single_run_bit_for_bit(int shards)
    {
        var f = s_fixture.Value;
        var files = f.WriteShards(shards);
        try
        {
            using var merged = new MemoryStream();
            var result = ReproductionShards.Merge(ReproductionShards.Find([Path.GetDirectoryName(files[0])!]), merged);

            result.Shards.Should().Be(shards);
            result.Rounds.Should().Be(Small.Rounds);
            for (int p = 0; p < f.Single.Policies.Count; p++)
            {
                var expected = f.Single.Policies[p];
                var actual = result.Policies[p];
                actual.PolicyName.Should().Be(expected.PolicyName);
                actual.Targets.Select(t => t.TargetItem).Should().Equal(expected.Targets.Select(t => t.TargetItem));
                for (int t = 0; t < expected.Targets.Count; t++)
                {
                    // Record equality on doubles is bitwise here: the values were written shortest round-trip.
                    actual.Targets[t].Checkpoints.Should().Equal(expected.Targets[t].Checkpoints);
                }
            }

            var mergedJson = JsonNode.Parse(merged.ToArray())!;
            mergedJson["config"]!["shards"]!.GetValue<int>().Should().Be(shards);
            Normalise(mergedJson).Should().Be(Normalise(JsonNode.Parse(f.SingleJson)!));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(files[0])!, recursive: true);
        }
    }

    [Fact]
    public void A_missing_shard_is_named()
    {
        var files = s_fixture.Value.WriteShards(4);
        try
        {
            FluentActions.Invoking(() => ReproductionShards.Merge([files[0], files[1], files[3]], Stream.Null))
                .Should().Throw<InvalidDataException>().WithMessage("*3/4 missing*");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(files[0])!, recursive: true);
        }
    }

    [Fact]
    public void A_duplicate_shard_is_refused()
    {
        var files = s_fixture.Value.WriteShards(2);
        string copy = Path.Combine(Path.GetDirectoryName(files[0])!, "again", Path.GetFileName(files[1]));
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(files[1], copy);
            FluentActions.Invoking(() => ReproductionShards.Merge([.. files, copy], Stream.Null))
                .Should().Throw<InvalidDataException>().WithMessage("*2/2 appears twice*");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(files[0])!, recursive: true);
        }
    }

    [Fact]
    public void Shards_of_different_splits_or_experiments_are_refused()
    {
        var f = s_fixture.Value;
        var two = f.WriteShards(2);
        var three = f.WriteShards(3);
        var other = f.WriteShards(2, seedNote: "another");
        try
        {
            FluentActions.Invoking(() => ReproductionShards.Merge([two[0], three[1], three[2]], Stream.Null))
                .Should().Throw<InvalidDataException>().WithMessage("*different splits*");
            FluentActions.Invoking(() => ReproductionShards.Merge([two[0], other[1]], Stream.Null))
                .Should().Throw<InvalidDataException>().WithMessage("*not shards of the same experiment*'model'*");
        }
        finally
        {
            foreach (var set in new[] { two, three, other })
            {
                Directory.Delete(Path.GetDirectoryName(set[0])!, recursive: true);
            }
        }
    }

    [Fact]
    public void Timings_machine_and_command_may_differ_between_shards()
    {
        var files = s_fixture.Value.WriteShards(2);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(files[1]))!;
            node["config"]!["machine"] = "another machine";
            node["config"]!["command"] = "ipg reproduce --out /elsewhere";
            node["config"]!["elapsed_seconds"] = 99.5;
            File.WriteAllText(files[1], node.ToJsonString());
            using var merged = new MemoryStream();
            ReproductionShards.Merge(files, merged);
            var config = JsonNode.Parse(merged.ToArray())!["config"]!;
            config["machine"]!.GetValue<string>().Should().NotBe("another machine", "the merge keeps the first shard's");
            config["elapsed_seconds"]!.GetValue<double>().Should().BeGreaterThan(99.5, "the merge sums the shards' timings");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(files[0])!, recursive: true);
        }
    }

    [Theory]
    [InlineData("{\"format\": \"ipg-results/1\"}", "*not a shard file*")]
    [InlineData("[1, 2]", "*not a shard file*")]
    [InlineData("{\"format\": \"ipg-reproduction-shard/1\", \"shard\": 1}", "*not a readable shard file*")]
    [InlineData("{\"format\": \"ipg-reproduction-shard/1\", \"shard\": 3, \"shards\": 2}", "*3/2*")]
    [InlineData("not json", "*not a readable shard file*")]
    public void A_file_that_is_not_a_shard_is_refused(string content, string message)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("ipg-shard-bad-").FullName, "shard-0001-of-0001.json");
        try
        {
            File.WriteAllText(path, content);
            FluentActions.Invoking(() => ReproductionShards.Merge([path], Stream.Null)).Should().Throw<InvalidDataException>().WithMessage(message);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void Nothing_to_merge_and_a_missing_folder_are_refused()
    {
        FluentActions.Invoking(() => ReproductionShards.Merge([], Stream.Null)).Should().Throw<InvalidDataException>();
        FluentActions.Invoking(() => ReproductionShards.Find([Path.Combine(Path.GetTempPath(), "ipg-no-such-folder")])).Should().Throw<DirectoryNotFoundException>();
    }

    [Fact]
    public void A_shard_whose_units_are_not_its_part_of_the_split_is_refused()
    {
        var files = s_fixture.Value.WriteShards(10);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(files[4]))!;
            node["units"]![0]![1] = node["units"]![0]![1]!.GetValue<int>() + 1; // starts one user later
            File.WriteAllText(files[4], node.ToJsonString());
            FluentActions.Invoking(() => ReproductionShards.Merge(files, Stream.Null))
                .Should().Throw<InvalidDataException>().WithMessage("*shard 5/10 of 7 target(s) × 60 user(s) is*");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(files[0])!, recursive: true);
        }
    }

    [Fact]
    public void An_unreadable_sum_is_refused()
    {
        var files = s_fixture.Value.WriteShards(2);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(files[1]))!;
            node["policies"]![0]!["units"]![0]!["checkpoints"]![0]![3] = "not a number";
            File.WriteAllText(files[1], node.ToJsonString());
            FluentActions.Invoking(() => ReproductionShards.Merge(files, Stream.Null))
                .Should().Throw<InvalidDataException>().WithMessage("*not a readable shard file*");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(files[0])!, recursive: true);
        }
    }

    /// <summary>The JSON without what a split changes (timings, machine, shard count), as text.</summary>
    private static string Normalise(JsonNode node)
    {
        Strip(node);
        return node.ToJsonString();

        static void Strip(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                o.Remove("elapsed_seconds");
                o.Remove("machine");
                o.Remove("shards");
                foreach (var (_, child) in o.ToList())
                {
                    Strip(child);
                }
            }
            else if (n is JsonArray a)
            {
                foreach (var child in a)
                {
                    Strip(child);
                }
            }
        }
    }

    /// <summary>One small world and experiment, run once whole; shards are run from the same runner.</summary>
    private sealed class Fixture
    {
        private readonly CollectedWorld _world;

        public Fixture()
        {
            _world = PaperReproduction.CollectWorld(Small);
            var encoder = TestPresets.TrueItemEncoder(_world.EndState);
            Experiment = PaperReproduction.CreateExperiment(_world, encoder, Small);
            Policies = [.. PaperReproduction.StandardPolicies(encoder, seed: 3)];
            Single = PaperReproduction.Run(_world, Experiment, Policies, Small);
            using var buffer = new MemoryStream();
            ReproductionReport.WriteJson(buffer, Single, Config("in-memory"));
            SingleJson = buffer.ToArray();
        }

        public GuidanceExperiment Experiment { get; }

        public IReadOnlyList<Ipg.Policies.IRecommendationPolicy> Policies { get; }

        public ReproductionResult Single { get; }

        public byte[] SingleJson { get; }

        /// <summary>Runs every shard of an <paramref name="count"/>-way split into a fresh folder; returns the files in shard order.</summary>
        public string[] WriteShards(int count, string seedNote = "in-memory")
        {
            string folder = Directory.CreateTempSubdirectory("ipg-shards-").FullName;
            var files = new string[count];
            for (int i = 1; i <= count; i++)
            {
                var shard = new ReproductionShard(i, count);
                var result = ReproductionShards.Run(_world, Experiment, Policies, Small, shard);
                files[i - 1] = Path.Combine(folder, shard.FileName);
                using var stream = File.Create(files[i - 1]);
                ReproductionShards.Write(stream, result, extraConfig: Config(seedNote));
            }

            return files;
        }

        private static Dictionary<string, string> Config(string model) => new() { ["model"] = model };
    }
}
