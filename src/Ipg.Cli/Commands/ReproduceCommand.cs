using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Simulation.Guidance;
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
        var setup = new ExperimentSetup("results", ReproductionOptions.Default.Users!.Value, ReproductionOptions.Default.Targets);
        var irn = new Option<FileInfo?>("--irn") { Description = "An ONNX IRN (docs/irn.md) trained on the same log: adds the rows IRN (open loop) and IRN (closed loop)." };
        var shard = new Option<string?>("--shard") { Description = "Run part i of n (1-based, e.g. 2/4) of the targets (of their users when n exceeds the targets) and write shard-000i-of-000n.json to --out; `ipg merge` combines a complete set into results.json (docs/distributed.md)." };
        var command = new Command("reproduce", "Run the paper's experiment (docs/method.md §3–4) on the embedded default and print HR/IoI/IoR per policy.");
        foreach (var option in setup.Options)
        {
            command.Options.Add(option);
        }

        command.Options.Add(irn);
        command.Options.Add(shard);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(Run(setup, irn, shard, parseResult, cancellationToken)));
        return command;
    }

    private static int Run(ExperimentSetup setup, Option<FileInfo?> irnOption, Option<string?> shardOption, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        ReproductionShard? shard = null;
        if (parseResult.GetValue(shardOption) is { } shardText)
        {
            try
            {
                shard = ReproductionShard.Parse(shardText);
            }
            catch (FormatException e)
            {
                throw CliException.InvalidArguments($"ipg reproduce: --shard: {e.Message}");
            }
        }

        var (prepared, exitCode) = setup.Prepare(parseResult, "reproduce", cancellationToken);
        if (prepared is null)
        {
            return exitCode;
        }

        OnnxIrnModel? irn = null;
        if (parseResult.GetValue(irnOption) is { } irnFile)
        {
            try
            {
                irn = OnnxIrnModel.Load(irnFile.FullName);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"ipg reproduce: cannot load the IRN model: {e.Message}");
                prepared.Dispose();
                return 3;
            }

            if (irn.ItemCount != prepared.World.EndState.ItemCount)
            {
                Console.Error.WriteLine($"ipg reproduce: the IRN model knows {irn.ItemCount} items, the world has {prepared.World.EndState.ItemCount}.");
                irn.Dispose();
                prepared.Dispose();
                return 4;
            }

            if (!string.Equals(irn.TrainingLogSha256, prepared.World.LogSha256, StringComparison.OrdinalIgnoreCase))
            {
                Console.Error.WriteLine($"ipg reproduce: warning: the IRN model was trained on a log with sha256 '{irn.TrainingLogSha256}', this world's is '{prepared.World.LogSha256}'.");
            }
        }

        using (irn)
        using (prepared)
        {
            var policies = PaperReproduction.StandardPolicies(prepared.Encoder, seed: (int)prepared.Options.TargetSeed).ToList();
            // The library's default (chosen by measurement, docs/guidance.md) after the paper's two IPG rows.
            policies.Insert(2, new IpgPolicy(new IpgReranker(prepared.Encoder, IpgOptions.Default), "IPG-Default"));
            if (irn is not null)
            {
                // Beside the other encoder-side baselines, before Random and the Oracle.
                int at = policies.FindIndex(p => p is RandomPolicy);
                policies.InsertRange(at < 0 ? policies.Count : at, [new IrnPolicy(irn, IrnPlanning.OpenLoop), new IrnPolicy(irn, IrnPlanning.ClosedLoop)]);
            }

            if (prepared.Fit is { } fit)
            {
                // The fitted modes after the IPG rows: the fitted move, and with the fit's calibrated p̂ too.
                policies.Insert(3, new IpgPolicy(new IpgReranker(prepared.Encoder, IpgOptions.Paper with { Guidance = fit.Guidance }), "IPG-Fitted"));
                if (fit.Acceptance is not null)
                {
                    policies.Insert(4, new IpgPolicy(new IpgReranker(prepared.Encoder, fit.ApplyTo(IpgOptions.Paper)), "IPG-Fitted+p̂"));
                }
            }

            if (setup.Planned(parseResult) is { } planned)
            {
                // Planned guidance after the IPG rows (and the fitted ones); with a fit it plans and ranks with the fit's calibrated p̂.
                var acceptance = prepared.Fit?.Acceptance;
                var options = IpgOptions.Paper with { Guidance = planned.Create(acceptance), Acceptance = acceptance };
                policies.Insert(policies.FindIndex(p => p.Name == "SASRec"), new IpgPolicy(new IpgReranker(prepared.Encoder, options), acceptance is null ? "IPG-Planned" : "IPG-Planned+p̂"));
            }

            var watch = Stopwatch.StartNew();
            var progress = new SynchronousProgress<ReproductionProgress>(p =>
            {
                if (p.Guidance.Round == p.Guidance.Rounds)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{watch.Elapsed:hh\\:mm\\:ss}] {p.PolicyName,-16} target {p.Guidance.TargetIndex + 1}/{p.Guidance.TargetCount} done ({p.PolicyIndex + 1}/{p.PolicyCount} policies)"));
                }
            });

            var experiment = prepared.Experiment;
            var outDir = parseResult.GetValue(setup.Output)!;
            if (shard is not null)
            {
                long pairs = (long)experiment.Targets.Count * experiment.Runner.UserCount;
                if (shard.Count > pairs)
                {
                    throw CliException.InvalidArguments($"ipg reproduce: --shard {shard}: {shard.Count} shards for {experiment.Targets.Count} target(s) x {experiment.Runner.UserCount} user(s); use at most {pairs}.");
                }

                // The same runner (world, encoder, initial sequences) for every unit; a target's run depends only on the
                // target, a user's only on the user.
                var partial = ReproductionShards.Run(prepared.World, experiment, policies, prepared.Options, shard, progress, cancellationToken);
                outDir.Create();
                string part = Path.Combine(outDir.FullName, shard.FileName);
                var config = prepared.Describe();
                config["command"] = WithoutShard(config["command"]); // the merged results.json records the single run's command
                AtomicFile.Write(part, stream => ReproductionShards.Write(stream, partial, experiment.Runner.Options.Metrics.ConfidenceLevel, config));
                Console.WriteLine($"Shard {shard} ran {string.Join(" and ", partial.Units)} for {policies.Count} policies. Wrote {part}; `ipg merge` combines all {shard.Count} into results.json and its table.");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wall time {total.Elapsed.TotalSeconds:F1} s (guidance {partial.Elapsed.TotalSeconds:F1} s) on {Environment.ProcessorCount} cores."));
                return 0;
            }

            var result = PaperReproduction.Run(prepared.World, experiment, policies, prepared.Options, progress, cancellationToken);

            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Console.Profile.Width = 200;
            }

            AnsiConsole.Write(ResultsTable.Build(result.Policies));
            Console.WriteLine("HR@K: click rate over the first K rounds; IoI@K: increase of the true preference for the target after K rounds; IoR: rise of its true rank; means over targets; the CI is a Student-t 95 % interval across targets (n/a for one target).");

            outDir.Create();
            string json = Path.Combine(outDir.FullName, "results.json");
            ReproductionReport.WriteJsonAtomically(json, result, prepared.Describe());
            string scatter = Path.Combine(outDir.FullName, "hr-vs-ioi.png");
            string lines = Path.Combine(outDir.FullName, "ioi-over-rounds.png");
            ResultsPlots.HitRateVersusInterest(result.Policies, prepared.Options.Rounds, scatter);
            ResultsPlots.InterestOverRounds(result.Policies, lines);
            Console.WriteLine($"Wrote {json}, {scatter}, {lines}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wall time {total.Elapsed.TotalSeconds:F1} s (guidance {result.Elapsed.TotalSeconds:F1} s) on {Environment.ProcessorCount} cores."));
            return 0;
        }
    }

    /// <summary>A recorded command line without its <c>--shard i/n</c> (or <c>--shard=i/n</c>).</summary>
    internal static string WithoutShard(string command)
    {
        var words = command.Split(' ').ToList();
        int at = words.FindIndex(w => w == "--shard" || w.StartsWith("--shard=", StringComparison.Ordinal));
        if (at >= 0)
        {
            words.RemoveRange(at, words[at] == "--shard" && at + 1 < words.Count ? 2 : 1);
        }

        return string.Join(' ', words);
    }
}
