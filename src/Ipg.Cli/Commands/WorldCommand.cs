using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ipg.Simulation.Reproduction;
using Ipg.Simulation.Worlds;

namespace Ipg.Cli.Commands;

/// <summary>
/// <c>ipg world build</c>: makes a real interaction log into a simulator world (docs/real-data.md) and prints and saves
/// its world report. Writes <c>world.bin</c> and <c>world-report.json</c> into <c>--out</c>.
/// </summary>
internal static class WorldCommand
{
    /// <summary>The file name of the world inside <c>--out</c>.</summary>
    public const string WorldFileName = "world.bin";

    /// <summary>The file name of the report inside <c>--out</c>.</summary>
    public const string ReportFileName = "world-report.json";

    private static readonly Dictionary<string, InteractionLogKind> s_formats = new(StringComparer.Ordinal)
    {
        ["lines"] = InteractionLogKind.Lines,
        ["movielens"] = InteractionLogKind.MovieLens,
        ["sequences"] = InteractionLogKind.Sequences,
        ["item-sequences"] = InteractionLogKind.ItemSequences,
    };

    public static Command Create()
    {
        var command = new Command("world", "Real-data worlds: build a simulator world from an interaction log.");
        command.Subcommands.Add(CreateBuild());
        command.Subcommands.Add(WorldTrainLogCommand.Create());
        return command;
    }

    private static Command CreateBuild()
    {
        var defaults = WorldBuildOptions.Default;
        var log = new Option<FileInfo?>("--log") { Description = "Interaction log to build the world from (required)." };
        var format = new Option<string?>("--format") { Description = "Layout of --log: lines (\"user item\" in time order), movielens (ratings.dat / u.data), sequences (\"user item item ...\"), item-sequences (\"item item ...\", user = line number). Required." };
        var metadata = new Option<FileInfo?>("--metadata") { Description = "Item metadata for topics (ML-1M movies.dat or LastFM item2attributes.json); without it topics are k-means clusters." };
        var metadataFormat = new Option<string?>("--metadata-format") { Description = "Layout of --metadata: ml1m (first genre) or lastfm (most frequent attribute)." };
        var itemMap = new Option<FileInfo?>("--item-map") { Description = "With --metadata-format ml1m: \"log-id movielens-id\" lines (e.g. ml-1m-sas-mapping/sas_to_original_items.txt) when the log's item ids are not MovieLens ids." };
        var dim = new Option<int>("--dim") { Description = "Dimension of the ground-truth vectors.", DefaultValueFactory = _ => defaults.Dimension };
        var seed = new Option<long>("--seed") { Description = "Seed of the factor initialisation, k-means and calibration sample.", DefaultValueFactory = _ => defaults.Seed };
        var topics = new Option<int?>("--topics") { Description = "k-means topics without metadata (default 10); with metadata, the most topics kept (the largest; the rest become \"other\"; default all)." };
        var iterations = new Option<int>("--iterations") { Description = "ALS sweeps.", DefaultValueFactory = _ => defaults.Iterations };
        var regularization = new Option<double>("--regularization") { Description = "ALS L2 regularisation λ.", DefaultValueFactory = _ => defaults.Regularization };
        var alpha = new Option<double>("--alpha") { Description = "ALS confidence weight α (confidence 1 + α·count).", DefaultValueFactory = _ => defaults.Alpha };
        var slope = new Option<double>("--slope") { Description = "Slope of the click sigmoid.", DefaultValueFactory = _ => defaults.Slope };
        var randomRate = new Option<double>("--random-click-rate") { Description = "Calibration: mean click probability of random (user, item) pairs.", DefaultValueFactory = _ => defaults.TargetRandomClickRate };
        var omega = new Option<double>("--omega") { Description = "Drift inertia ω stored in the world.", DefaultValueFactory = _ => defaults.Omega };
        var repeat = new Option<double>("--repeat-penalty") { Description = "Repeat penalty stored in the world.", DefaultValueFactory = _ => defaults.RepeatPenalty };
        var boredomWindow = new Option<int>("--boredom-window") { Description = "Boredom window stored in the world.", DefaultValueFactory = _ => defaults.BoredomWindow };
        var boredomThreshold = new Option<int>("--boredom-threshold") { Description = "Boredom threshold stored in the world.", DefaultValueFactory = _ => defaults.BoredomThreshold };
        var boredomDuration = new Option<int>("--boredom-duration") { Description = "Boredom duration stored in the world.", DefaultValueFactory = _ => defaults.BoredomDuration };
        var boredomFactor = new Option<double>("--boredom-factor") { Description = "Boredom factor stored in the world.", DefaultValueFactory = _ => defaults.BoredomFactor };
        var itemNormalization = new Option<string>("--item-normalization") { Description = "Item vectors: unit (L2-normalised, like the paper's world) or max-norm (divided by the largest norm: keeps the fit's ranking and popularity).", DefaultValueFactory = _ => "unit" };
        var output = new Option<DirectoryInfo?>("--out") { Description = $"Folder to write {WorldFileName} and {ReportFileName} into (required; created if missing)." };

        var command = new Command("build", "Build a world (ground truth by implicit ALS, topics, calibrated click model) from a real interaction log and print its world report.")
        {
            log, format, metadata, metadataFormat, itemMap, dim, seed, topics, iterations, regularization, alpha, slope, randomRate,
            omega, repeat, boredomWindow, boredomThreshold, boredomDuration, boredomFactor, itemNormalization, output,
        };

        command.SetAction((parseResult, cancellationToken) =>
        {
            var topicCount = parseResult.GetValue(topics);
            var hasMetadata = parseResult.GetValue(metadata) is not null;
            var options = defaults with
            {
                Dimension = parseResult.GetValue(dim),
                Seed = parseResult.GetValue(seed),
                Topics = hasMetadata ? defaults.Topics : topicCount ?? defaults.Topics,
                MaxMetadataTopics = hasMetadata ? topicCount : null,
                Iterations = parseResult.GetValue(iterations),
                Regularization = parseResult.GetValue(regularization),
                Alpha = parseResult.GetValue(alpha),
                Slope = parseResult.GetValue(slope),
                TargetRandomClickRate = parseResult.GetValue(randomRate),
                Omega = parseResult.GetValue(omega),
                RepeatPenalty = parseResult.GetValue(repeat),
                BoredomWindow = parseResult.GetValue(boredomWindow),
                BoredomThreshold = parseResult.GetValue(boredomThreshold),
                BoredomDuration = parseResult.GetValue(boredomDuration),
                BoredomFactor = parseResult.GetValue(boredomFactor),
                ItemNormalization = parseResult.GetValue(itemNormalization) switch
                {
                    "unit" => ItemVectorNormalization.Unit,
                    "max-norm" => ItemVectorNormalization.MaxNorm,
                    _ => (ItemVectorNormalization)(-1),
                },
            };
            var request = new Request(
                parseResult.GetValue(log),
                parseResult.GetValue(format),
                parseResult.GetValue(metadata),
                parseResult.GetValue(metadataFormat),
                parseResult.GetValue(itemMap),
                parseResult.GetValue(output),
                options);
            return Task.FromResult(Run(request, cancellationToken));
        });

        return command;
    }

    private sealed record Request(
        FileInfo? Log, string? Format, FileInfo? Metadata, string? MetadataFormat, FileInfo? ItemMap, DirectoryInfo? Out, WorldBuildOptions Options);

    private static int Run(Request request, CancellationToken cancellationToken)
    {
        if (Validate(request) is { } problem)
        {
            throw CliException.InvalidArguments(problem);
        }

        var total = Stopwatch.StartNew();
        var progress = new SynchronousProgress<string>(line =>
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{total.Elapsed.TotalSeconds,6:F1} s] {line}")));
        InteractionLog log;
        IReadOnlyDictionary<long, string>? labels = null;
        string? metadataSha = null;
        progress.Report($"reading {request.Log!.FullName} ({request.Format})");
        log = InputFiles.Read("--log", request.Log.FullName, path => InteractionLogReader.Read(path, s_formats[request.Format!]));
        progress.Report(string.Create(CultureInfo.InvariantCulture, $"log: {log.UserCount} users, {log.ItemCount} items, {log.InteractionCount} interactions, sha256 {log.SourceSha256}"));
        if (request.Metadata is not null)
        {
            if (request.ItemMap is not null)
            {
                InputFiles.RequireFile("--item-map", request.ItemMap.FullName);
            }

            labels = InputFiles.Read("--metadata", request.Metadata.FullName, path => request.MetadataFormat == "ml1m"
                ? ItemMetadataReader.ReadMovieLens1MGenres(path, request.ItemMap?.FullName)
                : ItemMetadataReader.ReadLastFmAttributes(path));
            metadataSha = WorldBuilder.FileSha256(request.Metadata.FullName);
            progress.Report(string.Create(CultureInfo.InvariantCulture, $"metadata: labels for {labels.Count} items"));
        }

        // An ArgumentException here is an option the data cannot satisfy (e.g. more topics than items): exit 2.
        var world = WorldBuilder.Build(log, request.Options, labels, metadataSha, progress, cancellationToken);

        var buildSeconds = total.Elapsed.TotalSeconds;
        progress.Report("report: ranking every user's held-out item");
        var report = WorldReport.Compute(world);
        var worldPath = Path.Combine(request.Out!.FullName, WorldFileName);
        var reportPath = Path.Combine(request.Out.FullName, ReportFileName);
        try
        {
            request.Out.Create();
            world.Save(worldPath);
            AtomicFile.Write(reportPath, stream =>
            {
                using var writer = new StreamWriter(stream, leaveOpen: true);
                writer.Write(report.ToJson());
                writer.Write('\n');
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.OutputNotWritten($"--out \"{request.Out.FullName}\" cannot be written: {e.Message}", e);
        }

        Console.WriteLine(report.ToText());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"built in {buildSeconds:F1} s, total {total.Elapsed.TotalSeconds:F1} s ({Environment.ProcessorCount} cores)"));
        Console.WriteLine($"world  {worldPath}");
        Console.WriteLine($"report {reportPath}");
        return 0;
    }

    private static string? Validate(Request r)
    {
        if (r.Log is null)
        {
            return "--log is required.";
        }

        if (r.Format is null || !s_formats.ContainsKey(r.Format))
        {
            return $"--format must be one of {string.Join(", ", s_formats.Keys)}, got \"{r.Format}\".";
        }

        if (r.Out is null)
        {
            return "--out is required.";
        }

        if (r.Metadata is not null)
        {
            if (r.MetadataFormat is not ("ml1m" or "lastfm"))
            {
                return $"--metadata-format must be ml1m or lastfm with --metadata, got \"{r.MetadataFormat}\".";
            }
        }
        else if (r.MetadataFormat is not null || r.ItemMap is not null)
        {
            return "--metadata-format and --item-map need --metadata.";
        }

        if (r.ItemMap is not null && r.MetadataFormat != "ml1m")
        {
            return $"--item-map needs --metadata-format ml1m, got \"{r.MetadataFormat}\".";
        }

        try
        {
            r.Options.Validate();
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }

        return null;
    }
}
