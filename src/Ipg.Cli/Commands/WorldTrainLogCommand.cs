using System.CommandLine;
using Ipg.Simulation.Worlds;

namespace Ipg.Cli.Commands;

/// <summary>
/// <c>ipg world train-log</c>: writes a world's train split as a <c>user item</c> log for <c>tools/sasrec/train.py</c>, so
/// that the recommender under test is trained on exactly the histories the world starts from (and never on the
/// held-out items or the world's ground-truth vectors). <c>ipg reproduce --world</c> checks the model against its hash.
/// </summary>
internal static class WorldTrainLogCommand
{
    public static Command Create()
    {
        var world = new Option<DirectoryInfo?>("--world") { Description = "The world folder (or world.bin) that `ipg world build` wrote (required)." };
        var output = new Option<FileInfo?>("--out") { Description = "The log file to write (required), e.g. DIR/train.txt." };
        var command = new Command("train-log", "Write a world's train split as a \"user item\" log for tools/sasrec (the model under test must be trained on it).") { world, output };
        command.SetAction(parseResult => Run(parseResult.GetValue(world), parseResult.GetValue(output)));
        return command;
    }

    private static int Run(DirectoryInfo? worldDir, FileInfo? output)
    {
        if (worldDir is null || output is null)
        {
            throw CliException.InvalidArguments("--world and --out are required.");
        }

        string file = File.Exists(worldDir.FullName) ? worldDir.FullName : Path.Combine(worldDir.FullName, "world.bin");
        var loaded = InputFiles.Read("--world", file, RealDataWorld.Load);
        var log = WorldSimulation.TrainInteractions(loaded);

        // A failure to write from here on is exit 6 (IpgCommandLine.Report).
        output.Directory?.Create();
        Ipg.Simulation.InteractionLogFormat.Write(output.FullName, log);
        Console.WriteLine($"Wrote {output.FullName}: {log.Count} interactions of {loaded.UserCount} users, sha256 {Ipg.Simulation.Reproduction.PaperReproduction.ComputeLogSha256(log)}");
        return ExitCodes.Success;
    }
}
