using Ipg.Simulation.Worlds;
using Xunit.Abstractions;

namespace Ipg.Simulation.Tests.Worlds;

/// <summary>
/// End to end on the real ML-1M and LastFM logs of <c>../shared/data</c> (never committed: licences). Returns early, with a message,
/// when the folder is absent; set <c>IPG_SHARED_DATA</c> to point elsewhere.
/// </summary>
public class SharedDataWorldTests(ITestOutputHelper output)
{
    private static string? SharedData()
    {
        if (Environment.GetEnvironmentVariable("IPG_SHARED_DATA") is { Length: > 0 } configured)
        {
            return Directory.Exists(configured) ? configured : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ipg.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }

        return null;
    }

    [Fact]
    public void MovieLens_1m_with_genres_through_the_sas_id_map_is_a_real_data_world()
    {
        var data = SharedData();
        var logPath = data is null ? null : Path.Combine(data, "ml-1m-sasrec_gSASRec-split", "train", "input.txt");
        var movies = data is null ? null : Path.Combine(data, "ml-1m-meta", "movies.dat");
        var map = data is null ? null : Path.Combine(data, "ml-1m-sas-mapping", "sas_to_original_items.txt");
        if (logPath is null || !File.Exists(logPath) || !File.Exists(movies) || !File.Exists(map))
        {
            output.WriteLine("Skipped: the ML-1M files under ../shared/data are absent (set IPG_SHARED_DATA to the data folder to run this test).");
            return;
        }

        var log = InteractionLogReader.Read(logPath, InteractionLogKind.ItemSequences);
        log.UserCount.Should().Be(6040);
        log.ItemCount.Should().Be(3416);
        log.InteractionCount.Should().Be(987_019);

        var labels = ItemMetadataReader.ReadMovieLens1MGenres(movies, map);
        labels.Should().HaveCount(3416, "the SAS id map covers every item of the log");
        var world = WorldBuilder.Build(log, WorldBuildOptions.Default, labels, WorldBuilder.FileSha256(movies));
        var report = WorldReport.Compute(world);
        output.WriteLine(report.ToText());

        report.IsRealDataWorld.Should().BeTrue(report.Verdict);
        world.TopicCount.Should().Be(18);
        world.TopicNames[0].Should().Be("Drama");
        world.TopicNames.Should().NotContain(WorldBuilder.UnknownTopic);
        report.RandomClickProbability.Should().BeApproximately(0.09, 0.005);
        report.HeldOutClickProbability.Should().BeGreaterThan(3 * report.RandomClickProbability);
    }

    [Fact]
    public void LastFm_builds_a_real_data_world_that_round_trips()
    {
        var data = SharedData();
        var logPath = data is null ? null : Path.Combine(data, "s3rec", "LastFM.txt");
        var metadataPath = data is null ? null : Path.Combine(data, "s3rec", "LastFM_item2attributes.json");
        if (logPath is null || !File.Exists(logPath) || !File.Exists(metadataPath))
        {
            output.WriteLine("Skipped: ../shared/data/s3rec/LastFM.txt is absent (set IPG_SHARED_DATA to the data folder to run this test).");
            return;
        }

        var log = InteractionLogReader.Read(logPath, InteractionLogKind.Sequences);
        log.UserCount.Should().Be(1090);
        log.ItemCount.Should().Be(3646);
        log.InteractionCount.Should().Be(52551);

        var labels = ItemMetadataReader.ReadLastFmAttributes(metadataPath);
        var options = WorldBuildOptions.Default with { MaxMetadataTopics = 20 };
        var world = WorldBuilder.Build(log, options, labels, WorldBuilder.FileSha256(metadataPath));
        var report = WorldReport.Compute(world);
        output.WriteLine(report.ToText());

        report.IsRealDataWorld.Should().BeTrue(report.Verdict);
        world.TopicCount.Should().Be(20);
        report.RandomClickProbability.Should().BeApproximately(options.TargetRandomClickRate, 0.005);
        report.HeldOutClickProbability.Should().BeGreaterThan(report.RandomClickProbability);

        using var stream = new MemoryStream();
        world.Save(stream);
        stream.Position = 0;
        RealDataWorld.Load(stream).ComputeHash().Should().Be(world.ComputeHash());
        WorldBuilder.Build(log, options, labels, WorldBuilder.FileSha256(metadataPath)).ComputeHash().Should().Be(world.ComputeHash());
    }
}
