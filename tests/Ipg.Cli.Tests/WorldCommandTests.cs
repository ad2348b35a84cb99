using System.Text;
using System.Text.Json;
using Ipg.Cli;
using Ipg.Cli.Commands;
using Ipg.Simulation.Worlds;

namespace Ipg.Cli.Tests;

public sealed class WorldCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ipg-world-cli-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteLog()
    {
        // Two planted groups of users and items: users 1–40 read items 1–30, users 41–80 read items 31–60.
        var rng = new Random(1);
        var sb = new StringBuilder();
        for (var u = 1; u <= 80; u++)
        {
            var basis = u <= 40 ? 0 : 30;
            var items = Enumerable.Range(1, 30).OrderBy(_ => rng.Next()).Take(12).Select(i => i + basis);
            sb.Append(u).Append(' ').AppendJoin(' ', items).Append('\n');
        }

        var path = Path.Combine(_dir.FullName, "log.txt");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    private static int Run(params string[] args) => IpgCommandLine.Invoke(args);

    [Fact]
    public void World_build_writes_a_world_and_its_report()
    {
        var log = WriteLog();
        var outDir = Path.Combine(_dir.FullName, "out");
        Run("world", "build", "--log", log, "--format", "sequences", "--dim", "4", "--topics", "2", "--iterations", "5", "--out", outDir)
            .Should().Be(0);

        var world = RealDataWorld.Load(Path.Combine(outDir, WorldCommand.WorldFileName));
        world.UserCount.Should().Be(80);
        world.ItemCount.Should().Be(60);
        world.Dimension.Should().Be(4);
        world.TopicCount.Should().Be(2);
        world.SourceSha256.Should().Be(WorldBuilder.FileSha256(log));

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, WorldCommand.ReportFileName)));
        report.RootElement.GetProperty("worldHash").GetString().Should().Be(world.ComputeHash());
        report.RootElement.GetProperty("users").GetInt32().Should().Be(80);
    }

    [Theory]
    [InlineData("--format", "csv")]
    [InlineData("--dim", "0")]
    [InlineData("--metadata-format", "ml1m")]
    [InlineData("--item-normalization", "cosine")]
    public void Invalid_arguments_exit_with_2(string option, string value)
    {
        var log = WriteLog();
        var args = new List<string> { "world", "build", "--log", log, "--out", Path.Combine(_dir.FullName, "never") };
        if (option != "--format")
        {
            args.AddRange(["--format", "sequences"]);
        }

        args.AddRange([option, value]);
        Run([.. args]).Should().Be(2);
        Directory.Exists(Path.Combine(_dir.FullName, "never")).Should().BeFalse();
    }

    [Fact]
    public void No_log_exits_with_2_and_a_missing_or_malformed_one_with_5()
    {
        var outDir = Path.Combine(_dir.FullName, "never");
        Run("world", "build", "--format", "lines", "--out", outDir).Should().Be(2);
        Run("world", "build", "--log", Path.Combine(_dir.FullName, "absent.txt"), "--format", "lines", "--out", outDir).Should().Be(5);
        var bad = Path.Combine(_dir.FullName, "bad.txt");
        File.WriteAllText(bad, "1 2\n1 2 3\n");
        Run("world", "build", "--log", bad, "--format", "lines", "--out", outDir).Should().Be(5);
        Directory.Exists(outDir).Should().BeFalse();
    }

    [Fact]
    public void An_out_folder_that_is_a_file_exits_with_6()
    {
        var file = Path.Combine(_dir.FullName, "a-file");
        File.WriteAllText(file, "x");
        Run("world", "build", "--log", WriteLog(), "--format", "sequences", "--dim", "4", "--iterations", "2", "--out", file).Should().Be(6);
        File.ReadAllText(file).Should().Be("x");
    }
}
