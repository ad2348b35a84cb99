using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ipg.Simulation.Reproduction;
using Spectre.Console;

namespace Ipg.Cli.Commands;

/// <summary>
/// <c>ipg reproduce</c>: the paper's whole protocol on the embedded default — regenerate the seeded log,
/// load the default SASRec (checking the log hash it was trained on), run IPG, the baselines, random and
/// the oracle, print the table and write <c>results.json</c> and plots.
/// </summary>
internal static class ReproduceCommand
{
    public static Command Create()
    {
        var full = new Option<bool>("--full") { Description = "The paper's scale: all 6,034 users, 50 targets, 20 rounds (long: see README)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the simulator and the log collection (the default model was trained on seed 2024's log).", DefaultValueFactory = _ => 2024 };
        var users = new Option<int?>("--users") { Description = "Users taking part in guidance (the first N of the world). Default 500, or all with --full." };
        var targets = new Option<int?>("--targets") { Description = "Random target items. Default 5, or 50 with --full." };
        var targetSeed = new Option<long>("--target-seed") { Description = "Seed of the target draw and of the random policy.", DefaultValueFactory = _ => 2024 };
        var rounds = new Option<int>("--rounds") { Description = "Guidance rounds per target.", DefaultValueFactory = _ => 20 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for results.json and the plots.", DefaultValueFactory = _ => new DirectoryInfo("results") };
        var model = new Option<FileInfo?>("--model") { Description = "An ONNX SASRec (docs/onnx-contract.md) instead of the embedded default." };
        var threads = new Option<int>("--threads") { Description = "Encoder runs in parallel (each with one ONNX Runtime thread); default: the core count.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var force = new Option<bool>("--force") { Description = "Run even when the model was trained on a different log than the one regenerated." };

        var command = new Command("reproduce", "Run the paper's experiment (spec §3–4) on the embedded default and print HR/IoI/IoR per policy.")
        {
            full, seed, users, targets, targetSeed, rounds, output, model, threads, force,
        };

        command.SetAction((parseResult, cancellationToken) =>
        {
            bool isFull = parseResult.GetValue(full);
            var baseline = isFull ? ReproductionOptions.Paper : ReproductionOptions.Default;
            long worldSeed = parseResult.GetValue(seed);
            var options = baseline with
            {
                Simulator = baseline.Simulator with { Seed = worldSeed },
                Collection = baseline.Collection with { Seed = worldSeed },
                Users = parseResult.GetValue(users) ?? baseline.Users,
                Targets = parseResult.GetValue(targets) ?? baseline.Targets,
                TargetSeed = parseResult.GetValue(targetSeed),
                Rounds = parseResult.GetValue(rounds),
            };
            return Task.FromResult(Run(options, parseResult.GetValue(output)!, parseResult.GetValue(model), parseResult.GetValue(threads), parseResult.GetValue(force), cancellationToken));
        });

        return command;
    }

    private static int Run(ReproductionOptions options, DirectoryInfo outDir, FileInfo? modelFile, int threads, bool force, CancellationToken cancellationToken)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"ipg reproduce: {e.Message}");
            return 2;
        }

        var total = Stopwatch.StartNew();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Collecting the training log: {options.Simulator.Users} users × {options.Simulator.Items} items, {options.Collection.Rounds} rounds, seed {options.Simulator.Seed} …"));
        var world = PaperReproduction.CollectWorld(options, cancellationToken: cancellationToken);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {world.Collection.Clicks} clicks (click rate {world.Collection.ClickRate:F3}), log sha256 {world.LogSha256[..16]}…"));

        Encoders.OnnxSasRecEncoder encoder;
        string modelDescription;
        try
        {
            (encoder, modelDescription) = ModelLoader.Load(modelFile, threads);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"ipg reproduce: cannot load the model: {e.Message}");
            return 3;
        }

        using (encoder)
        {
            string trainedOn = encoder.Metadata.TrainingLogSha256;
            if (!string.Equals(trainedOn, world.LogSha256, StringComparison.OrdinalIgnoreCase))
            {
                Console.Error.WriteLine($"ipg reproduce: the model ({modelDescription}) was trained on a log with sha256 '{trainedOn}', but seed {options.Simulator.Seed} regenerates '{world.LogSha256}'.");
                Console.Error.WriteLine("  " + ModelLoader.RetrainHint);
                if (!force)
                {
                    return 4;
                }
            }

            if (encoder.ItemCount != world.EndState.ItemCount)
            {
                Console.Error.WriteLine($"ipg reproduce: the model knows {encoder.ItemCount} items, the world has {world.EndState.ItemCount}.");
                return 4;
            }

            var experiment = PaperReproduction.CreateExperiment(world, encoder, options);
            var policies = PaperReproduction.StandardPolicies(encoder, seed: (int)options.TargetSeed);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Guidance: {experiment.Runner.UserCount} users, targets [{string.Join(", ", experiment.Targets)}], {options.Rounds} rounds, {policies.Count} policies; model {modelDescription}"));

            var guidanceWatch = Stopwatch.StartNew();
            var progress = new SynchronousProgress<ReproductionProgress>(p =>
            {
                if (p.Guidance.Round == p.Guidance.Rounds)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{guidanceWatch.Elapsed:hh\\:mm\\:ss}] {p.PolicyName,-16} target {p.Guidance.TargetIndex + 1}/{p.Guidance.TargetCount} done ({p.PolicyIndex + 1}/{p.PolicyCount} policies)"));
                }
            });

            var result = PaperReproduction.Run(world, experiment, policies, options, progress, cancellationToken);

            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Console.Profile.Width = 200;
            }

            AnsiConsole.Write(ResultsTable.Build(result.Policies));
            Console.WriteLine("HR@K: click rate over the first K rounds; IoI@K: increase of the true preference for the target after K rounds; IoR@20: rise of its true rank; means over targets, CI across targets.");

            outDir.Create();
            string json = Path.Combine(outDir.FullName, "results.json");
            var extra = new Dictionary<string, string>
            {
                ["model"] = modelDescription,
                ["model_layout"] = encoder.Metadata.Layout,
                ["model_training_log_sha256"] = trainedOn,
                ["model_producer"] = encoder.Metadata.Producer,
                ["encoder_parallel_runs"] = threads.ToString(CultureInfo.InvariantCulture),
                ["command"] = "ipg " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
            ReproductionReport.WriteJsonAtomically(json, result, extra);
            string scatter = Path.Combine(outDir.FullName, "hr-vs-ioi.png");
            string lines = Path.Combine(outDir.FullName, "ioi-over-rounds.png");
            ResultsPlots.HitRateVersusInterest(result.Policies, options.Rounds, scatter);
            ResultsPlots.InterestOverRounds(result.Policies, lines);
            Console.WriteLine($"Wrote {json}, {scatter}, {lines}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wall time {total.Elapsed.TotalSeconds:F1} s (guidance {result.Elapsed.TotalSeconds:F1} s) on {Environment.ProcessorCount} cores."));
            return 0;
        }
    }
}
