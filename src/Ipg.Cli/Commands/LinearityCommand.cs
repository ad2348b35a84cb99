using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ipg.Encoders;
using Ipg.Guidance;
using Ipg.Policies;
using Ipg.Simulation;
using Ipg.Simulation.Analysis;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Metrics;
using Ipg.Simulation.Reproduction;
using Spectre.Console;

namespace Ipg.Cli.Commands;

/// <summary>
/// <c>ipg analyze linearity</c>: tests IPG's linear look-ahead on a real encoder — (a) linear versus exact g
/// and r = p̂·g per history-length bucket, (b) the fitted γ with its residual, (c) on the simulator, the
/// guidance results of IPG with the linear, the exact and the oracle look-ahead side by side, (d) the cost of
/// the exact look-ahead per request. Writes <c>linearity.json</c> and CSVs.
/// </summary>
internal static class LinearityCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static Command Create()
    {
        var model = new Option<FileInfo?>("--model") { Description = "An ONNX encoder (docs/onnx-contract.md: a SASRec, or any model exported by tools/export, docs/bring-your-own-model.md) instead of the embedded default." };
        var log = new Option<FileInfo?>("--log") { Description = "Histories from a log of \"user item\" lines (1-based, time order; InteractionLogFormat) instead of the regenerated paper log. Skips (c)." };
        var sequencesFile = new Option<FileInfo?>("--sequences") { Description = "Histories from a file with one user per line, item ids separated by spaces (e.g. the SASRec ML-1M split). Skips (c)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the regenerated world and log (the default model was trained on seed 2024's log).", DefaultValueFactory = _ => 2024 };
        var users = new Option<int>("--users") { Description = "Users sampled for (a) and (b).", DefaultValueFactory = _ => LinearityOptions.Default.Users };
        var targetsPerUser = new Option<int>("--targets-per-user") { Description = "Random targets per sampled history in (a).", DefaultValueFactory = _ => LinearityOptions.Default.TargetsPerUser };
        var candidates = new Option<int>("--candidates") { Description = "Candidates per history: the top-C by p̂ among unseen items; 0 = all (one encoding per item per history).", DefaultValueFactory = _ => LinearityOptions.Default.Candidates };
        var sampleSeed = new Option<int>("--sample-seed") { Description = "Seed of the user, cut-point and target draws of (a) and (b).", DefaultValueFactory = _ => LinearityOptions.Default.Seed };
        var guidanceUsers = new Option<int>("--guidance-users") { Description = "Users in the guidance experiment (c).", DefaultValueFactory = _ => 200 };
        var guidanceTargets = new Option<int>("--guidance-targets") { Description = "Targets in the guidance experiment (c).", DefaultValueFactory = _ => 3 };
        var rounds = new Option<int>("--rounds") { Description = "Guidance rounds in (c); the table reports HR and IoI at this K.", DefaultValueFactory = _ => 20 };
        var targetSeed = new Option<long>("--target-seed") { Description = "Seed of the target draw of (c).", DefaultValueFactory = _ => 2024 };
        var noGuidance = new Option<bool>("--no-guidance") { Description = "Skip the guidance experiment (c)." };
        var exactM = new Option<int[]>("--exact-candidates") { Description = "M of the exact look-ahead in (c) (several allowed); 0 alone leaves the exact look-ahead out of (c), which is then fast.", DefaultValueFactory = _ => [20], AllowMultipleArgumentsPerToken = true };
        var timing = new Option<int>("--timing-requests") { Description = "Requests timed per look-ahead mode in (d); 0 skips (d).", DefaultValueFactory = _ => 100 };
        var kernel = new Option<SasRecKernel>("--kernel") { Description = "Encoder forward pass: Auto (default: the managed kernel where it recognises the model and reproduces ONNX Runtime at load, else ONNX Runtime), Managed (the managed kernel or refuse) or OnnxRuntime (any model that follows the contract).", DefaultValueFactory = _ => SasRecKernel.Auto };
        var threads = new Option<int>("--threads") { Description = "Encoder runs in parallel (each with one ONNX Runtime thread); default: the core count.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var force = new Option<bool>("--force") { Description = "Run (c) even when the model was trained on another log than the one regenerated." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for linearity.json and the CSVs.", DefaultValueFactory = _ => new DirectoryInfo("linearity") };
        var command = new Command("linearity", "Test IPG's linear look-ahead on a real encoder: linear vs exact g per history length, fitted γ, and guidance with linear / exact / oracle look-ahead.")
        {
            model, log, sequencesFile, seed, users, targetsPerUser, candidates, sampleSeed, guidanceUsers, guidanceTargets, rounds, targetSeed, noGuidance, exactM, timing, kernel, threads, force, output,
        };

        command.SetAction((parseResult, cancellationToken) =>
        {
            var settings = new Settings(
                parseResult.GetValue(model),
                parseResult.GetValue(log),
                parseResult.GetValue(sequencesFile),
                parseResult.GetValue(seed),
                new LinearityOptions
                {
                    Users = parseResult.GetValue(users),
                    TargetsPerUser = parseResult.GetValue(targetsPerUser),
                    Candidates = parseResult.GetValue(candidates),
                    Seed = parseResult.GetValue(sampleSeed),
                },
                parseResult.GetValue(guidanceUsers),
                parseResult.GetValue(guidanceTargets),
                parseResult.GetValue(rounds),
                parseResult.GetValue(targetSeed),
                parseResult.GetValue(noGuidance),
                parseResult.GetValue(exactM) ?? [20],
                parseResult.GetValue(timing),
                parseResult.GetValue(threads),
                parseResult.GetValue(kernel),
                parseResult.GetValue(force),
                parseResult.GetValue(output)!);
            return Task.FromResult(Run(settings, cancellationToken));
        });
        return command;
    }

    private sealed record Settings(
        FileInfo? Model,
        FileInfo? Log,
        FileInfo? Sequences,
        long Seed,
        LinearityOptions Analysis,
        int GuidanceUsers,
        int GuidanceTargets,
        int Rounds,
        long TargetSeed,
        bool NoGuidance,
        int[] ExactCandidates,
        int TimingRequests,
        int Threads,
        SasRecKernel Kernel,
        bool Force,
        DirectoryInfo Output);

    private static int Run(Settings s, CancellationToken cancellationToken)
    {
        const string Name = "ipg analyze linearity";
        var total = Stopwatch.StartNew();
        try
        {
            s.Analysis.Validate();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"{Name}: {e.Message}");
            return 2;
        }

        if (s.Log is not null && s.Sequences is not null)
        {
            Console.Error.WriteLine($"{Name}: give --log or --sequences, not both.");
            return 2;
        }

        bool noExact = s.ExactCandidates is [0];
        if (s.Threads < 1 || s.TimingRequests < 0 || s.ExactCandidates.Length == 0 || (!noExact && s.ExactCandidates.Any(m => m < 1)))
        {
            Console.Error.WriteLine($"{Name}: --threads must be at least 1, --timing-requests at least 0, and --exact-candidates values at least 1 (or a single 0).");
            return 2;
        }

        var reproduction = ReproductionOptions.Default with
        {
            Simulator = ReproductionOptions.Default.Simulator with { Seed = s.Seed },
            Collection = ReproductionOptions.Default.Collection with { Seed = s.Seed },
            Users = s.GuidanceUsers,
            Targets = s.GuidanceTargets,
            TargetSeed = s.TargetSeed,
            Rounds = s.Rounds,
        };
        bool regenerate = s.Log is null && s.Sequences is null;
        if (regenerate && !s.NoGuidance)
        {
            try
            {
                reproduction.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"{Name}: {e.Message}");
                return 2;
            }
        }

        var (encoder, description) = ModelLoader.Load(s.Model, s.Threads, s.Kernel);
        using (encoder)
        {
            IReadOnlyList<int[]> sequences;
            CollectedWorld? world = null;
            string source;
            if (s.Sequences is not null)
            {
                sequences = InputFiles.Read("--sequences", s.Sequences.FullName, ReadSequences);
                source = s.Sequences.FullName;
            }
            else if (s.Log is not null)
            {
                var interactions = InputFiles.Read("--log", s.Log.FullName, InteractionLogFormat.Read);
                sequences = InteractionLogFormat.ToSequences(interactions, interactions.Count == 0 ? 0 : interactions.Max(x => x.User) + 1).ToList();
                source = s.Log.FullName;
            }
            else
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Collecting the paper log: seed {s.Seed} …"));
                world = PaperReproduction.CollectWorld(reproduction, cancellationToken: cancellationToken);
                sequences = InteractionLogFormat.ToSequences(world.Collection.Interactions, world.EndState.UserCount).ToList();
                source = string.Create(CultureInfo.InvariantCulture, $"regenerated paper log, seed {s.Seed}, sha256 {world.LogSha256}");
            }

            if (FirstIdBeyond(sequences, encoder.ItemCount) is var (user, id))
            {
                throw CliException.ModelMismatch($"the histories do not fit the model ({description}): history {user + 1} of {source} holds item id {id}, but the model knows ids 1..{encoder.ItemCount}.");
            }

            bool mismatch = world is not null && !string.Equals(encoder.Metadata.TrainingLogSha256, world.LogSha256, StringComparison.OrdinalIgnoreCase);
            if (mismatch && !s.NoGuidance)
            {
                Console.Error.WriteLine($"{Name}: the model ({description}) was trained on a log with sha256 '{encoder.Metadata.TrainingLogSha256}', but seed {s.Seed} regenerates '{world!.LogSha256}'.");
                if (!s.Force)
                {
                    Console.Error.WriteLine("  Pass --no-guidance to analyse the model on this log without the simulator experiment, or --force to run it anyway.");
                    return ExitCodes.ModelMismatch;
                }
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Model {description}: N = {encoder.ItemCount}, d = {encoder.Dimension}, max length {encoder.MaxHistoryLength}. Histories: {source} ({sequences.Count} users)."));
            LinearityReport report;
            try
            {
                var progress = new SynchronousProgress<int>(done =>
                {
                    if (done % 50 == 0)
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (a, b) {done} histories [{total.Elapsed:hh\\:mm\\:ss}]"));
                    }
                });
                report = LinearityAnalysis.Analyze(encoder, sequences, s.Analysis, progress, cancellationToken);
            }
            catch (ArgumentException e) when (e.ParamName == "sequences")
            {
                // Ids were checked above; what is left is about the histories themselves (e.g. none has two items).
                throw CliException.InputFile($"the histories of {source} cannot be analysed: {e.Message}", e);
            }

            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Console.Profile.Width = 200;
            }

            AnsiConsole.Write(AgreementTable(report));
            AnsiConsole.Write(GammaTable(report));
            var fit = report.Overall.LoggedMoves;
            string optionsLine = double.IsNaN(fit.Gamma)
                ? "(no γ̂)"
                : string.Create(CultureInfo.InvariantCulture, $"IpgOptions.Paper with {{ Guidance = LinearGuidance.Absolute({fit.GammaForOptions:0.###}f) }}");
            Console.WriteLine($"γ̂ as the re-ranker's γ (only the Absolute form's ranking depends on γ; the Increase form's does not): {optionsLine}");

            var timings = s.TimingRequests > 0 ? MeasureCost(encoder, sequences, s.TimingRequests, s.ExactCandidates, s.Analysis.Seed) : [];
            if (timings.Count > 0)
            {
                var table = new Table().Border(TableBorder.Rounded).Title("(d) cost per request (Recommend, K = 1, one thread)").AddColumns("look-ahead", "mean ms", "median ms", "p95 ms", "× linear");
                foreach (var t in timings)
                {
                    table.AddRow(t.Mode, F(t.MeanMs, 3), F(t.MedianMs, 3), F(t.P95Ms, 3), F(t.MeanMs / timings[0].MeanMs, 1));
                }

                AnsiConsole.Write(table);
            }

            List<GuidanceRow> guidance = [];
            if (world is not null && !s.NoGuidance)
            {
                guidance = RunGuidance(world, encoder, reproduction, s.ExactCandidates, fit, report.Overall.CandidateMoves, cancellationToken);
                AnsiConsole.Write(GuidanceTable(guidance, s.Rounds));
            }

            s.Output.Create();
            string json = Path.Combine(s.Output.FullName, "linearity.json");
            string bucketsCsv = Path.Combine(s.Output.FullName, "linearity-buckets.csv");
            string guidanceCsv = Path.Combine(s.Output.FullName, "linearity-guidance.csv");
            var config = new Dictionary<string, object?>
            {
                ["model"] = description,
                ["model_training_log_sha256"] = encoder.Metadata.TrainingLogSha256,
                ["histories"] = source,
                ["command"] = "ipg " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                ["processors"] = Environment.ProcessorCount,
                ["guidance_users"] = guidance.Count > 0 ? s.GuidanceUsers : null,
                ["guidance_targets"] = guidance.Count > 0 ? s.GuidanceTargets : null,
                ["guidance_rounds"] = guidance.Count > 0 ? s.Rounds : null,
            };
            AtomicFile.Write(json, stream => JsonSerializer.Serialize(stream, new
            {
                config,
                analysis = report,
                gamma_options = optionsLine,
                cost = timings,
                guidance,
            }, Json));
            AtomicFile.Write(bucketsCsv, stream => WriteBucketsCsv(stream, report));
            if (guidance.Count > 0)
            {
                AtomicFile.Write(guidanceCsv, stream => WriteGuidanceCsv(stream, guidance, s.Rounds));
            }

            Console.WriteLine($"Wrote {json}, {bucketsCsv}" + (guidance.Count > 0 ? $", {guidanceCsv}" : string.Empty));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wall time {total.Elapsed.TotalSeconds:F1} s ((a, b): {report.Elapsed.TotalSeconds:F1} s, {report.Encodings} encodings) on {Environment.ProcessorCount} cores."));
            return 0;
        }
    }

    /// <summary>One policy of (c): HR@K and IoI@K with intervals, and the paired difference to IPG (linear).</summary>
    internal sealed record GuidanceRow(string Policy, MetricEstimate HitRate, MetricEstimate IncreaseOfInterest, MetricEstimate HitRateVersusLinear, MetricEstimate InterestVersusLinear, double Seconds);

    /// <summary>One look-ahead mode of (d).</summary>
    internal sealed record CostRow(string Mode, int Requests, double MeanMs, double MedianMs, double P95Ms);

    private static List<GuidanceRow> RunGuidance(CollectedWorld world, ISequentialEncoder encoder, ReproductionOptions options, int[] exactM, GammaFit fit, GammaFit affine, CancellationToken cancellationToken)
    {
        var experiment = PaperReproduction.CreateExperiment(world, encoder, options);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(c) guidance: {experiment.Runner.UserCount} users, targets [{string.Join(", ", experiment.Targets)}], {options.Rounds} rounds"));
        var policies = new List<IRecommendationPolicy>
        {
            new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper), "IPG (linear)"),
        };
        foreach (int m in exactM.Where(m => m > 0).Distinct())
        {
            policies.Add(new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper with { Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, m) }), $"IPG (exact, M = {m})"));
        }

        if (double.IsFinite(affine.A) && double.IsFinite(affine.B) && affine.B > 0)
        {
            // (a, b) fitted on the candidate moves of (a, b) above: the cheap alternative to the exact mode.
            policies.Add(new IpgPolicy(new IpgReranker(encoder, IpgOptions.Paper with { Guidance = LinearGuidance.Affine(affine.A, affine.B) }), string.Create(CultureInfo.InvariantCulture, $"IPG (affine look-ahead, a = {affine.A:0.###}, b = {affine.B:0.###})")));
        }

        policies.Add(new OracleLookAheadPolicy(NegativeGuidancePolicy.Raw, "IPG (oracle look-ahead)"));
        if (!double.IsNaN(fit.Gamma))
        {
            // The Absolute form is the only one whose ranking depends on γ; under the raw product its g is dominated by
            // γ̂·ê_j·ê_u (SASRec's ‖ê_u‖ ≫ ‖ê_i‖), so it is also run with the accuracy fallback.
            foreach (var negative in new[] { NegativeGuidancePolicy.Raw, NegativeGuidancePolicy.AccuracyFallback })
            {
                policies.Add(new IpgPolicy(new IpgReranker(encoder, fit.ToAbsoluteOptions() with { NegativeGuidance = negative }), string.Create(CultureInfo.InvariantCulture, $"IPG Absolute γ̂ = {fit.GammaForOptions:0.###} ({negative})")));
            }
        }

        policies.Add(new GreedyPolicy());
        int k = options.Rounds;
        var results = new List<GuidanceResult>();
        foreach (var policy in policies)
        {
            var result = experiment.Run(policy, null, cancellationToken);
            results.Add(result);
            var at = ReproductionReport.At(result, k)!;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {policy.Name}: HR@{k} {at.HitRate.Mean:F3}, IoI@{k} {at.IncreaseOfInterest.Mean:F3} ({result.Elapsed.TotalSeconds:F1} s)"));
        }

        var linear = results[0];
        return results.Select(r =>
        {
            var at = ReproductionReport.At(r, k)!;
            var hrDiff = r.Targets.Zip(linear.Targets, (a, b) => a.At(k).HitRate - b.At(k).HitRate).ToList();
            var ioiDiff = r.Targets.Zip(linear.Targets, (a, b) => a.At(k).IncreaseOfInterest - b.At(k).IncreaseOfInterest).ToList();
            return new GuidanceRow(r.PolicyName, at.HitRate, at.IncreaseOfInterest, MetricsSummary.Estimate(hrDiff), MetricsSummary.Estimate(ioiDiff), r.Elapsed.TotalSeconds);
        }).ToList();
    }

    /// <summary>Times <c>IpgReranker.Recommend</c> (K = 1) per look-ahead mode on the same histories and targets.</summary>
    private static List<CostRow> MeasureCost(ISequentialEncoder encoder, IReadOnlyList<int[]> sequences, int requests, int[] exactM, int seed)
    {
        var random = new Random(seed + 1);
        var pool = sequences.Where(q => q.Length > 0).ToList();
        if (pool.Count == 0)
        {
            return [];
        }

        var cases = Enumerable.Range(0, requests).Select(_ =>
        {
            var seq = pool[random.Next(pool.Count)];
            var history = seq.Length > encoder.MaxHistoryLength ? seq[^encoder.MaxHistoryLength..] : seq;
            return (History: history, Target: random.Next(1, encoder.ItemCount + 1));
        }).ToList();
        var modes = new List<(string Mode, IpgOptions Options)> { ("linear", IpgOptions.Paper) };
        foreach (int m in exactM.Where(m => m > 0).Union([10, 20]).Order())
        {
            modes.Add(($"exact, M = {m}", IpgOptions.Paper with { Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, m) }));
        }

        var rows = new List<CostRow>();
        foreach (var (mode, options) in modes)
        {
            var reranker = new IpgReranker(encoder, options);
            var targets = new Dictionary<int, GuidanceTarget>();
            GuidanceTarget Target(int id) => targets.TryGetValue(id, out var t) ? t : targets[id] = reranker.PrepareTarget(id);
            foreach (var (history, target) in cases.Take(5))
            {
                reranker.Recommend(history, Target(target), 1);
            }

            var ms = new List<double>(cases.Count);
            foreach (var (history, target) in cases)
            {
                var prepared = Target(target);
                long start = Stopwatch.GetTimestamp();
                reranker.Recommend(history, prepared, 1);
                ms.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            ms.Sort();
            rows.Add(new CostRow(mode, ms.Count, ms.Average(), ms[ms.Count / 2], ms[Math.Min(ms.Count - 1, (int)(0.95 * ms.Count))]));
        }

        return rows;
    }

    /// <summary>The first (history index, id) with an id above <paramref name="itemCount"/>, or null.</summary>
    private static (int User, int Id)? FirstIdBeyond(IReadOnlyList<int[]> sequences, int itemCount)
    {
        for (int u = 0; u < sequences.Count; u++)
        {
            foreach (int id in sequences[u])
            {
                if (id > itemCount)
                {
                    return (u, id);
                }
            }
        }

        return null;
    }

    internal static int[][] ReadSequences(string path)
    {
        var result = new List<int[]>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var ids = new int[parts.Length];
            for (int k = 0; k < parts.Length; k++)
            {
                if (!int.TryParse(parts[k], NumberStyles.None, CultureInfo.InvariantCulture, out ids[k]) || ids[k] < 1)
                {
                    throw new InvalidDataException($"{path} line {lineNumber}: expected positive item ids separated by spaces, got \"{parts[k]}\".");
                }
            }

            result.Add(ids);
        }

        return [.. result];
    }

    private static Table AgreementTable(LinearityReport report)
    {
        var o = report.Options;
        var table = new Table().Border(TableBorder.Rounded)
            .Title(string.Create(CultureInfo.InvariantCulture, $"(a) linear vs exact look-ahead, Increase form ({(o.Candidates == 0 ? "all unseen items" : $"top-{o.Candidates} by p̂")} per history, {o.TargetsPerUser} targets each); affine = ê_u' = a·ê_u + b·ê_i with (a, b) fitted on all candidate moves"))
            .AddColumns("history length", "histories", "pairs", "Pearson g", "Spearman g", "Spearman r", $"top-{o.TopK} overlap r", "same top-1");
        foreach (int m in o.ShortlistSizes)
        {
            table.AddColumn($"exact best in linear top-{m}");
        }

        table.AddColumns("affine: Spearman r", $"affine: top-{o.TopK} overlap", "affine: same top-1");

        foreach (var b in report.Buckets.Append(report.Overall))
        {
            var cells = new List<string> { b.Label, b.Histories.ToString(CultureInfo.InvariantCulture), b.Pairs.ToString(CultureInfo.InvariantCulture), F(b.PearsonG), F(b.SpearmanG), F(b.SpearmanScore), F(b.TopKOverlap), F(b.Top1Agreement) };
            cells.AddRange(o.ShortlistSizes.Select(m => F(b.ExactBestInLinearShortlist[m])));
            cells.AddRange([F(b.AffineSpearmanScore), F(b.AffineTopKOverlap), F(b.AffineTop1Agreement)]);
            table.AddRow(cells.ToArray());
        }

        return table;
    }

    private static Table GammaTable(LinearityReport report)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title("(b) fit of ENC(s ⊕ i) ≈ γ·ENC(s) + (1 − γ)·ê_i; residual = √Σ‖ENC(s⊕i) − fit‖² / √Σ‖ENC(s⊕i) − ENC(s)‖²")
            .AddColumns("history length", "moves", "pairs", "γ̂", "residual", "a (ENC(s))", "b (ê_i)", "residual (a, b)", "‖move‖", "‖ENC(s)‖", "‖ê_i‖");
        foreach (var b in report.Buckets.Append(report.Overall))
        {
            foreach (var (kind, f) in new[] { ("logged next", b.LoggedMoves), ("candidates", b.CandidateMoves) })
            {
                table.AddRow(b.Label, kind, f.Pairs.ToString(CultureInfo.InvariantCulture), F(f.Gamma, 4), F(f.RelativeResidual), F(f.A), F(f.B), F(f.UnconstrainedRelativeResidual), F(f.MeanMoveNorm), F(f.MeanUserNorm), F(f.MeanItemNorm));
            }
        }

        return table;
    }

    private static Table GuidanceTable(List<GuidanceRow> rows, int k)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title(Markup.Escape($"(c) guidance on the simulator: HR@{k} and IoI@{k}, mean over targets [95 % CI]; Δ = paired difference to IPG (linear) over targets"))
            .AddColumns("policy", $"HR@{k}", "95 % CI", $"IoI@{k}", "95 % CI", Markup.Escape($"Δ HR@{k} [95 % CI]"), Markup.Escape($"Δ IoI@{k} [95 % CI]"), "time");
        foreach (var r in rows)
        {
            table.AddRow(
                Markup.Escape(r.Policy),
                F(r.HitRate.Mean),
                Ci(r.HitRate),
                F(r.IncreaseOfInterest.Mean),
                Ci(r.IncreaseOfInterest),
                $"{F(r.HitRateVersusLinear.Mean)} {Ci(r.HitRateVersusLinear)}",
                $"{F(r.InterestVersusLinear.Mean)} {Ci(r.InterestVersusLinear)}",
                string.Create(CultureInfo.InvariantCulture, $"{r.Seconds:F1} s"));
        }

        return table;
    }

    private static void WriteBucketsCsv(Stream stream, LinearityReport report)
    {
        var m = report.Options.ShortlistSizes;
        string[] header =
        [
            "bucket", "min_length", "max_length", "histories", "pairs", "pearson_g", "spearman_g", "spearman_r", "top_k_overlap_r", "top1_agreement",
            .. m.Select(x => $"exact_best_in_linear_top{x}"),
            "gamma_logged", "residual_logged", "gamma_candidates", "residual_candidates", "a_logged", "b_logged", "residual_ab_logged",
            "a_candidates", "b_candidates", "residual_ab_candidates", "affine_spearman_r", "affine_top_k_overlap_r", "affine_top1_agreement",
        ];
        CsvOutput.Write(stream, header, report.Buckets.Append(report.Overall).Select(b => (IReadOnlyList<string>)new[]
            {
                b.Label, b.MinLength.ToString(CultureInfo.InvariantCulture), b.MaxLength == int.MaxValue ? string.Empty : b.MaxLength.ToString(CultureInfo.InvariantCulture),
                b.Histories.ToString(CultureInfo.InvariantCulture), b.Pairs.ToString(CultureInfo.InvariantCulture),
                R(b.PearsonG), R(b.SpearmanG), R(b.SpearmanScore), R(b.TopKOverlap), R(b.Top1Agreement),
            }.Concat(m.Select(x => R(b.ExactBestInLinearShortlist[x]))).Concat(
            [
                R(b.LoggedMoves.Gamma), R(b.LoggedMoves.RelativeResidual), R(b.CandidateMoves.Gamma), R(b.CandidateMoves.RelativeResidual),
                R(b.LoggedMoves.A), R(b.LoggedMoves.B), R(b.LoggedMoves.UnconstrainedRelativeResidual),
                R(b.CandidateMoves.A), R(b.CandidateMoves.B), R(b.CandidateMoves.UnconstrainedRelativeResidual),
                R(b.AffineSpearmanScore), R(b.AffineTopKOverlap), R(b.AffineTop1Agreement),
            ]).ToArray()));
    }

    private static void WriteGuidanceCsv(Stream stream, List<GuidanceRow> rows, int k)
    {
        string[] header =
        [
            "policy", $"HR@{k}", $"HR@{k}_ci95_low", $"HR@{k}_ci95_high", $"IoI@{k}", $"IoI@{k}_ci95_low", $"IoI@{k}_ci95_high",
            $"dHR@{k}", $"dHR@{k}_ci95_low", $"dHR@{k}_ci95_high", $"dIoI@{k}", $"dIoI@{k}_ci95_low", $"dIoI@{k}_ci95_high", "seconds",
        ];
        CsvOutput.Write(stream, header, rows.Select(r => (IReadOnlyList<string>)
        [
            r.Policy,
            R(r.HitRate.Mean), R(r.HitRate.Lower), R(r.HitRate.Upper),
            R(r.IncreaseOfInterest.Mean), R(r.IncreaseOfInterest.Lower), R(r.IncreaseOfInterest.Upper),
            R(r.HitRateVersusLinear.Mean), R(r.HitRateVersusLinear.Lower), R(r.HitRateVersusLinear.Upper),
            R(r.InterestVersusLinear.Mean), R(r.InterestVersusLinear.Lower), R(r.InterestVersusLinear.Upper),
            R(r.Seconds),
        ]));
    }

    private static string F(double value, int digits = 3) => double.IsNaN(value) ? "–" : value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Ci(MetricEstimate e) => double.IsNaN(e.HalfWidth) ? "–" : $"[[{F(e.Lower)}, {F(e.Upper)}]]";

    private static string R(double value) => CsvOutput.Number(value, "G6");
}
