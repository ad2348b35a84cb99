using System.Text;
using System.Text.Json;
using Ipg.Cli;

namespace Ipg.Cli.Tests;

/// <summary><c>ipg world train-log</c> and <c>ipg reproduce --world</c> on a world the test builds itself.</summary>
public sealed class WorldReproduceTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ipg-world-repro-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Reproduce_runs_the_protocol_on_a_real_data_world_and_records_it()
    {
        var world = BuildWorld();
        var trainLog = Path.Combine(_dir.FullName, "train.txt");
        Run("world", "train-log", "--world", world, "--out", trainLog).Should().Be(0);
        var lines = File.ReadAllLines(trainLog);
        lines.Should().HaveCountGreaterThan(1000).And.OnlyContain(l => l.Split(' ').Length == 2);

        // The tiny fixture model knows 100 items, as the world does, but was not trained on its train split.
        var model = TinyModel();
        var outDir = Path.Combine(_dir.FullName, "results");
        Run("reproduce", "--world", world, "--model", model, "--kernel", "OnnxRuntime", "--users", "30", "--targets", "2", "--rounds", "3", "--out", outDir)
            .Should().Be(4, "the model was trained on another log");
        Run("reproduce", "--world", world, "--model", model, "--kernel", "OnnxRuntime", "--users", "30", "--targets", "2", "--rounds", "3", "--force", "--out", outDir)
            .Should().Be(0);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "results.json")));
        var config = doc.RootElement.GetProperty("config");
        config.GetProperty("world").GetString().Should().EndWith("world.bin");
        config.GetProperty("world_hash").GetString().Should().HaveLength(64);
        config.GetProperty("items").GetInt32().Should().Be(100);
        config.GetProperty("users").GetInt32().Should().Be(30);
        config.GetProperty("log_clicks").GetInt32().Should().Be(lines.Length, "the world's log is its train split");
        var policies = doc.RootElement.GetProperty("policies").EnumerateArray().ToList();
        policies.Select(p => p.GetProperty("name").GetString()).Should().Contain(["IPG", "IPG-Cosine", "SASRec", "Oracle"]);
        policies.Single(p => p.GetProperty("name").GetString() == "IPG-Cosine").GetProperty("guidance").GetString().Should().Be("cosine");
    }

    [Fact]
    public void A_world_needs_a_model_and_a_readable_world_file()
    {
        var world = BuildWorld();
        Run("reproduce", "--world", world, "--out", _dir.FullName).Should().Be(2);
        var broken = Path.Combine(_dir.FullName, "broken.bin");
        File.WriteAllBytes(broken, [1, 2, 3]);
        Run("reproduce", "--world", broken, "--model", TinyModel(), "--out", _dir.FullName).Should().Be(5, "an unreadable world is an input file error");
        Run("world", "train-log", "--world", broken, "--out", Path.Combine(_dir.FullName, "t.txt")).Should().Be(5);
        Run("world", "train-log", "--world", world).Should().Be(2);
    }

    [Fact]
    public void A_missing_or_malformed_look_ahead_fit_exits_with_5()
    {
        var world = BuildWorld();
        var notAFit = Path.Combine(_dir.FullName, "fit.json");
        File.WriteAllText(notAFit, "{ \"a\": ");
        foreach (var fit in new[] { Path.Combine(_dir.FullName, "absent.json"), notAFit })
        {
            Run("reproduce", "--world", world, "--model", TinyModel(), "--kernel", "OnnxRuntime", "--force", "--users", "10", "--targets", "1", "--rounds", "1",
                "--fit", fit, "--out", Path.Combine(_dir.FullName, "never")).Should().Be(5, fit);
        }

        Directory.Exists(Path.Combine(_dir.FullName, "never")).Should().BeFalse();
    }

    private string BuildWorld()
    {
        // 150 users over 100 items in two planted groups (1–50, 51–100); 20 items each, so every item is trained on.
        var rng = new Random(3);
        var sb = new StringBuilder();
        for (var u = 1; u <= 150; u++)
        {
            var basis = u % 2 == 0 ? 0 : 50;
            var items = Enumerable.Range(1, 50).OrderBy(_ => rng.Next()).Take(20).Select(i => i + basis);
            sb.Append(u).Append(' ').AppendJoin(' ', items).Append('\n');
        }

        var log = Path.Combine(_dir.FullName, "log.txt");
        File.WriteAllText(log, sb.ToString());
        var worldDir = Path.Combine(_dir.FullName, "world");
        Run("world", "build", "--log", log, "--format", "sequences", "--dim", "6", "--topics", "3", "--iterations", "5", "--out", worldDir).Should().Be(0);
        return worldDir;
    }

    private static string TinyModel() => TestModels.Fixture("sasrec-tiny.onnx");

    private static int Run(params string[] args) => IpgCommandLine.Invoke(args);
}
