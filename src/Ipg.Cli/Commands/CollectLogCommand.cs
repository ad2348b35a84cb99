using System.CommandLine;
using System.Globalization;
using Ipg.Simulation;

namespace Ipg.Cli.Commands;

/// <summary>
/// <c>ipg collect-log</c>: runs the log collection of spec §3 on the topic simulator (paper preset
/// by default) and writes the interaction log and, optionally, the end state.
/// </summary>
internal static class CollectLogCommand
{
    public static Command Create()
    {
        var users = new Option<int>("--users") { Description = "Number of users.", DefaultValueFactory = _ => SimulatorOptions.Paper.Users };
        var items = new Option<int>("--items") { Description = "Number of items.", DefaultValueFactory = _ => SimulatorOptions.Paper.Items };
        var rounds = new Option<int>("--rounds") { Description = "Collection rounds.", DefaultValueFactory = _ => LogCollectionOptions.Paper.Rounds };
        var seed = new Option<long>("--seed") { Description = "Seed of the simulator and of the collection policy.", DefaultValueFactory = _ => 2024 };
        var output = new Option<FileInfo>("--out") { Description = "Interaction log to write (\"user item\" per line, 1-based).", Required = true };
        var stateOut = new Option<FileInfo?>("--state-out") { Description = "Where to save the simulator state at the end of collection." };

        var command = new Command("collect-log", "Collect the training interaction log from the topic simulator (docs/method.md §3).")
        {
            users, items, rounds, seed, output, stateOut,
        };

        command.SetAction(parseResult =>
        {
            var simulatorOptions = SimulatorOptions.Paper with
            {
                Users = parseResult.GetValue(users),
                Items = parseResult.GetValue(items),
                Seed = parseResult.GetValue(seed),
            };
            var collectionOptions = LogCollectionOptions.Paper with
            {
                Rounds = parseResult.GetValue(rounds),
                Seed = parseResult.GetValue(seed),
            };
            var outFile = parseResult.GetValue(output)!;
            var stateFile = parseResult.GetValue(stateOut);
            return Run(simulatorOptions, collectionOptions, outFile, stateFile);
        });

        return command;
    }

    private static int Run(SimulatorOptions simulatorOptions, LogCollectionOptions collectionOptions, FileInfo outFile, FileInfo? stateFile)
    {
        // Options out of range throw ArgumentException (exit 2), an output that cannot be written IOException (exit 6):
        // IpgCommandLine.Report maps both.
        var simulator = new TopicSimulator(simulatorOptions);
        var collector = new LogCollector(collectionOptions);

        var progress = new SynchronousProgress<int>(r =>
        {
            if (r % 10 == 0)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {r}/{collectionOptions.Rounds}"));
            }
        });

        var result = collector.Collect(simulator, progress);
        InteractionLogFormat.Write(outFile.FullName, result.Interactions);
        if (stateFile is not null)
        {
            simulator.Save(stateFile.FullName);
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"users {simulator.UserCount}, items {simulator.ItemCount}, rounds {result.Rounds}: {result.Clicks} clicks, click rate {result.ClickRate:F4}, {result.Elapsed.TotalSeconds:F2} s ({result.Elapsed.TotalMilliseconds / Math.Max(1, result.Rounds):F1} ms/round)"));
        Console.WriteLine($"log   {outFile.FullName}");
        if (stateFile is not null)
        {
            Console.WriteLine($"state {stateFile.FullName}  sha256 {simulator.ComputeStateHash()}");
        }

        return 0;
    }
}
