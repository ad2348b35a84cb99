using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ipg.Cli.Tests;

/// <summary>
/// <c>ipg reproduce --shard i/n</c> and <c>ipg merge</c> end to end: four shards, each in its own folder as four
/// machines would write them, merge into exactly the single run's results.json (every field but the timings, the
/// machine and the added shard count), and the failures exit with their documented codes.
/// </summary>
public class ShardCommandTests
{
    private static readonly string[] s_run = Run("5");

    private static string[] Run(string targets) => ["reproduce", "--users", "30", "--targets", targets, "--rounds", "3"];

    private static int Invoke(params string[] args) => IpgCommandLine.Invoke(args);

    [Theory]
    [InlineData("5")] // by targets
    [InlineData("2")] // more shards than targets: by user ranges (the default encoder, the embedded model, is batch-independent)
    public void Four_shards_merged_equal_the_single_run(string targets)
    {
        var root = Directory.CreateTempSubdirectory("ipg-shards-");
        string[] run = Run(targets);
        try
        {
            string single = Path.Combine(root.FullName, "single");
            Invoke([.. run, "--out", single]).Should().Be(0);
            var shardDirs = Enumerable.Range(1, 4).Select(i => Path.Combine(root.FullName, $"shard{i}")).ToArray();
            for (int i = 0; i < 4; i++)
            {
                Invoke([.. run, "--shard", $"{i + 1}/4", "--out", shardDirs[i]]).Should().Be(0);
                File.Exists(Path.Combine(shardDirs[i], $"shard-000{i + 1}-of-0004.json")).Should().BeTrue();
                File.Exists(Path.Combine(shardDirs[i], "results.json")).Should().BeFalse("a shard writes only its part");
            }

            string merged = Path.Combine(root.FullName, "merged");
            Invoke(["merge", .. shardDirs.Reverse(), "--out", merged]).Should().Be(0);

            var expected = WithoutTimings(JsonNode.Parse(File.ReadAllText(Path.Combine(single, "results.json")))!);
            var mergedJson = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "results.json")))!;
            mergedJson["config"]!["shards"]!.GetValue<int>().Should().Be(4);
            var actual = WithoutTimings(mergedJson);
            actual.Should().Be(expected, "the merge must reproduce the single run's results.json field for field, bit for bit");
            File.Exists(Path.Combine(merged, "hr-vs-ioi.png")).Should().BeTrue();
            File.Exists(Path.Combine(merged, "ioi-over-rounds.png")).Should().BeTrue();
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_missing_shard_is_an_input_error_that_names_it_and_writes_nothing()
    {
        var root = Directory.CreateTempSubdirectory("ipg-shards-missing-");
        try
        {
            string shards = Path.Combine(root.FullName, "shards");
            Invoke([.. s_run, "--shard", "1/3", "--out", shards]).Should().Be(0);
            Invoke([.. s_run, "--shard", "3/3", "--out", shards]).Should().Be(0);

            var error = new StringWriter();
            string merged = Path.Combine(root.FullName, "merged");
            IpgCommandLine.Invoke(["merge", shards, "--out", merged], error).Should().Be(5);
            error.ToString().Should().Contain("2/3").And.Contain("missing");
            File.Exists(Path.Combine(merged, "results.json")).Should().BeFalse();
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("0/4")]
    [InlineData("5/4")]
    [InlineData("2")]
    [InlineData("a/b")]
    [InlineData("1/0")]
    [InlineData("1/151")] // more shards than the 5 targets x 30 users
    public void A_bad_shard_is_an_invalid_argument(string shard)
    {
        var error = new StringWriter();
        IpgCommandLine.Invoke([.. s_run, "--shard", shard, "--out", Path.Combine(Path.GetTempPath(), "ipg-never-written")], error).Should().Be(2);
        error.ToString().Should().Contain("--shard");
    }

    [Fact]
    public void Merging_a_folder_without_shards_or_a_missing_folder_is_an_input_error()
    {
        var empty = Directory.CreateTempSubdirectory("ipg-shards-empty-");
        try
        {
            var error = new StringWriter();
            IpgCommandLine.Invoke(["merge", empty.FullName, "--out", Path.Combine(empty.FullName, "out")], error).Should().Be(5);
            error.ToString().Should().Contain("no shard files");
            IpgCommandLine.Invoke(["merge", Path.Combine(empty.FullName, "absent"), "--out", Path.Combine(empty.FullName, "out")]).Should().Be(5);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void Merge_without_out_is_an_invalid_argument() =>
        Invoke("merge", Path.GetTempPath()).Should().Be(2);

    /// <summary>The JSON text without the fields a split run legitimately changes: timings, machine, shard count.</summary>
    private static string WithoutTimings(JsonNode node)
    {
        Strip(node);
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

        static void Strip(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (string key in new[] { "elapsed_seconds", "machine", "shards" })
                    {
                        o.Remove(key);
                    }

                    foreach (var (_, child) in o.ToList())
                    {
                        Strip(child);
                    }

                    break;
                case JsonArray a:
                    foreach (var child in a)
                    {
                        Strip(child);
                    }

                    break;
            }
        }
    }
}
