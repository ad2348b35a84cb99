using System.CommandLine;
using Ipg.Simulation.Reproduction;
using Spectre.Console;

namespace Ipg.Cli.Commands;

/// <summary>
/// <c>ipg merge DIR... --out DIR</c>: combines the shard files a split <c>ipg reproduce --shard i/n</c> wrote into the
/// <c>results.json</c> (and plots) the single run writes, with bit-identical metrics (docs/distributed.md).
/// </summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var folders = new Argument<DirectoryInfo[]>("folders")
        {
            Description = "Folders holding the shard files (shard-*-of-*.json): each shard's --out, or one shared folder.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder to write results.json and the plots into (required; created if missing)." };
        var command = new Command("merge", "Combine the shards of a split `ipg reproduce --shard i/n` into the results.json a single run writes (docs/distributed.md).");
        command.Arguments.Add(folders);
        command.Options.Add(output);
        command.SetAction(parseResult => Run(parseResult.GetValue(folders)!, parseResult.GetValue(output)));
        return command;
    }

    private static int Run(DirectoryInfo[] folders, DirectoryInfo? output)
    {
        if (output is null)
        {
            throw CliException.InvalidArguments("--out is required: the folder to write results.json into.");
        }

        IReadOnlyList<string> files;
        try
        {
            files = ReproductionShards.Find(folders.Select(f => f.FullName));
        }
        catch (DirectoryNotFoundException e)
        {
            throw CliException.InputFile(e.Message, e);
        }

        if (files.Count == 0)
        {
            throw CliException.InputFile($"no shard files (shard-*-of-*.json) in {string.Join(", ", folders.Select(f => $"'{f.FullName}'"))}; `ipg reproduce --shard i/n --out DIR` writes them.");
        }

        // Merge in memory first (results.json is small), so a shard that cannot be read is an input error (5) and
        // only the write below can be an output error (6).
        var content = new MemoryStream();
        MergedReproduction merged;
        try
        {
            merged = ReproductionShards.Merge(files, content);
        }
        catch (IOException e)
        {
            throw CliException.InputFile($"cannot read the shards: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw CliException.InputFile($"cannot read the shards: {e.Message}", e);
        }

        output.Create();
        string json = Path.Combine(output.FullName, "results.json");
        AtomicFile.Write(json, stream => content.WriteTo(stream));

        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Console.Profile.Width = 200;
        }

        AnsiConsole.Write(ResultsTable.Build(merged.Policies));
        string scatter = Path.Combine(output.FullName, "hr-vs-ioi.png");
        string lines = Path.Combine(output.FullName, "ioi-over-rounds.png");
        ResultsPlots.HitRateVersusInterest(merged.Policies, merged.Rounds, scatter);
        ResultsPlots.InterestOverRounds(merged.Policies, lines);
        Console.WriteLine($"Merged {merged.Shards} shards ({files.Count} files). Wrote {json}, {scatter}, {lines}");
        return ExitCodes.Success;
    }
}
