using System.CommandLine;
using System.Globalization;
using System.Text;
using Ipg.Guidance;
using Ipg.Policies;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Reproduction;
using Spectre.Console;

namespace Ipg.Cli.Commands;

/// <summary>
/// <c>ipg sweep</c>: the accuracy/guidance trade-off of the re-ranker's knobs — γ of the Absolute form, the
/// guiding-score form × negative-guidance policy, optionally the exact look-ahead and the baselines' own
/// knobs — as an HR@K-vs-IoI@K frontier (CSV and PNG).
/// </summary>
internal static class SweepCommand
{
    private static readonly float[] Gammas = [0f, 0.02f, 0.05f, 0.1f, 0.2f, 0.3f, 0.5f, 0.8f, 0.95f];

    public static Command Create()
    {
        var setup = new ExperimentSetup("sweep", defaultUsers: 300, defaultTargets: 3);
        var baselines = new Option<bool>("--baselines") { Description = "Also sweep TargetSimilarity's α and Rec2Inf's shortlist size M." };
        var exact = new Option<bool>("--exact") { Description = "Also run the exact look-ahead (M = 10, 20, and its strength series at M = 20); each user then costs M extra encodings per round." };
        var affine = new Option<string?>("--affine")
        {
            Description = "The fitted affine move \"a,b\" of the model (ipg analyze linearity prints it); default 0.916,4.734, the embedded default model's fit (docs/linear-assumption.md).",
            CustomParser = result => result.Tokens.Count == 0 ? null : result.Tokens[0].Value,
        };
        affine.Validators.Add(result =>
        {
            var text = result.Tokens.Count == 0 ? null : result.Tokens[0].Value;
            if (text is not null && ParseAffine(text) is null)
            {
                result.AddError($"--affine expects \"a,b\" with finite a and positive b (e.g. 0.916,4.734), got \"{text}\".");
            }
        });
        var command = new Command("sweep", "Chart the accuracy/guidance frontier of the re-ranker's knobs (γ of the Absolute form, form × negative guidance, the strength λ of every guidance model, …).") { baselines, exact, affine };
        foreach (var option in setup.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, cancellationToken) => Task.FromResult(Run(setup, parseResult, parseResult.GetValue(baselines), parseResult.GetValue(exact), ParseAffine(parseResult.GetValue(affine)), cancellationToken)));
        return command;
    }

    /// <summary>"a,b" → (a, b) with finite a and finite, positive b; null when absent or malformed.</summary>
    internal static (double A, double B)? ParseAffine(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split(',');
        return parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double b)
            && double.IsFinite(a) && double.IsFinite(b) && b > 0
            ? (a, b)
            : null;
    }

    /// <summary>
    /// The strengths λ charted for every guidance model. Measured on the paper world (300 users, 3 targets), most of
    /// the accuracy/guidance trade-off lies between λ = 0 and 0.5, hence the denser grid there.
    /// </summary>
    internal static readonly float[] Strengths = [0f, 0.1f, 0.2f, 0.35f, 0.5f, 0.75f, 1f];

    /// <summary>The strengths charted for planned guidance (<c>--planned</c>).</summary>
    internal static readonly float[] PlannedStrengths = [0.35f, 0.5f, 0.75f, 1f];

    /// <summary>The fitted affine move of the embedded default model (docs/linear-assumption.md), used unless --affine says otherwise.</summary>
    internal static readonly (double A, double B) DefaultAffine = (0.916, 4.734);

    internal static IReadOnlyList<(string Series, string Setting, IRecommendationPolicy Policy)> Settings(ISequentialEncoder encoder, bool baselines, bool exact, (double A, double B)? affine = null, LookAheadFit? fit = null, PlannedSetting? planned = null)
    {
        var settings = new List<(string, string, IRecommendationPolicy)>();
        // γ of the Absolute form, under both negative-guidance policies: with SASRec's unnormalised
        // embeddings ê_j·ê_u is often negative, so for larger γ every g can be negative and the raw
        // product then prefers unlikely items.
        foreach (var negative in new[] { NegativeGuidancePolicy.AccuracyFallback, NegativeGuidancePolicy.Raw })
        {
            foreach (float gamma in Gammas)
            {
                var options = IpgOptions.Paper with { Guidance = LinearGuidance.Absolute(gamma), NegativeGuidance = negative };
                settings.Add(($"IPG Absolute ({negative}), γ", gamma.ToString("0.###", CultureInfo.InvariantCulture), new IpgPolicy(new IpgReranker(encoder, options))));
            }
        }

        foreach (var form in new[] { GuidanceForm.Increase, GuidanceForm.Cosine })
        {
            foreach (var negative in Enum.GetValues<NegativeGuidancePolicy>())
            {
                var options = IpgOptions.Paper with { Guidance = GuidanceModels.FromForm(form), NegativeGuidance = negative };
                settings.Add(("IPG form / negative guidance", $"{form}/{negative}", new IpgPolicy(new IpgReranker(encoder, options))));
            }
        }

        // The strength λ of every guidance model (raw product, as published, at λ = 1).
        var (a, b) = fit is not null ? (fit.A, fit.B) : affine ?? DefaultAffine;
        var models = new List<IGuidanceModel> { LinearGuidance.Default, CosineGuidance.Instance, LinearGuidance.Affine(a, b) };
        if (exact)
        {
            models.Add(new ExactLookAheadGuidance(LinearGuidance.Default, 20));
        }

        // One λ series: the model at each strength, raw product as published at λ = 1, with an optional p̂.
        void AddStrengthSeries(string series, IGuidanceModel model, IReadOnlyList<float> strengths, AcceptanceCalibration? acceptance = null)
        {
            foreach (float lambda in strengths)
            {
                var options = IpgOptions.Paper with { Guidance = model, Strength = lambda, Acceptance = acceptance };
                settings.Add((series, lambda.ToString("0.##", CultureInfo.InvariantCulture), new IpgPolicy(new IpgReranker(encoder, options))));
            }
        }

        foreach (var model in models)
        {
            AddStrengthSeries($"λ, {model.Name}", model, Strengths);
        }

        // With a fit that has an acceptance calibration: the same λ series with the calibrated p̂.
        if (fit?.Acceptance is { } acceptance)
        {
            foreach (var model in new IGuidanceModel[] { CosineGuidance.Instance, LinearGuidance.Affine(a, b) })
            {
                AddStrengthSeries($"λ, {model.Name} + calibrated p̂", model, Strengths, acceptance);
            }
        }

        // Planned guidance costs tens of encoder calls per user and round: the upper half of the λ grid only.
        if (planned is not null)
        {
            var model = planned.Create(fit?.Acceptance);
            AddStrengthSeries($"λ, {model.Name}", model, PlannedStrengths, fit?.Acceptance);
        }

        if (exact)
        {
            foreach (int m in new[] { 10, 20 })
            {
                var options = IpgOptions.Paper with { Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, m) };
                settings.Add(("IPG exact look-ahead, M", m.ToString(CultureInfo.InvariantCulture), new IpgPolicy(new IpgReranker(encoder, options))));
            }
        }

        if (baselines)
        {
            foreach (float alpha in new[] { 0.5f, 1f, 2f, 5f, 10f, 20f })
            {
                settings.Add(("TargetSimilarity, α", alpha.ToString("0.#", CultureInfo.InvariantCulture), new TargetSimilarityPolicy(alpha)));
            }

            foreach (int m in new[] { 5, 10, 20, 50, 100, 200 })
            {
                settings.Add(("Rec2Inf, M", m.ToString(CultureInfo.InvariantCulture), new Rec2InfPolicy(m)));
            }
        }

        settings.Add(("SASRec", "greedy", new GreedyPolicy()));
        return settings;
    }

    private static int Run(ExperimentSetup setup, ParseResult parseResult, bool baselines, bool exact, (double A, double B)? affine, CancellationToken cancellationToken)
    {
        var (prepared, exitCode) = setup.Prepare(parseResult, "sweep", cancellationToken);
        if (prepared is null)
        {
            return exitCode;
        }

        using (prepared)
        {
            int k = prepared.Options.Rounds;
            var settings = Settings(prepared.Encoder, baselines, exact, affine, prepared.Fit, setup.Planned(parseResult));
            var rows = new List<(string Series, string Setting, GuidanceResult Result)>();
            for (int s = 0; s < settings.Count; s++)
            {
                var (series, setting, policy) = settings[s];
                var result = prepared.Experiment.Run(policy, null, cancellationToken);
                rows.Add((series, setting, result));
                var last = ReproductionReport.At(result, k)!;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{s + 1}/{settings.Count}] {series} = {setting}: HR@{k} {last.HitRate.Mean:F3}, IoI@{k} {last.IncreaseOfInterest.Mean:F3} ({result.Elapsed.TotalSeconds:F1} s)"));
            }

            var outDir = parseResult.GetValue(setup.Output)!;
            outDir.Create();
            string csv = Path.Combine(outDir.FullName, "sweep.csv");
            AtomicFile.Write(csv, stream => CsvOutput.Write(
                stream,
                ["series", "setting", $"HR@{k}", $"IoI@{k}", $"IoI@{k}_ci95_low", $"IoI@{k}_ci95_high", $"IoR@{k}", "seconds", "guidance", "strength"],
                rows.Select(row =>
                {
                    var last = ReproductionReport.At(row.Result, k)!;
                    return (IReadOnlyList<string>)
                    [
                        row.Series, row.Setting,
                        CsvOutput.Number(last.HitRate.Mean, "F6"), CsvOutput.Number(last.IncreaseOfInterest.Mean, "F6"),
                        CsvOutput.Number(last.IncreaseOfInterest.Lower, "F6"), CsvOutput.Number(last.IncreaseOfInterest.Upper, "F6"),
                        CsvOutput.Number(last.IncreaseOfRanking.Mean, "F3"), CsvOutput.Number(row.Result.Elapsed.TotalSeconds, "F2"),
                        row.Result.Guidance?.Model ?? string.Empty,
                        row.Result.Guidance is null ? string.Empty : row.Result.Guidance.Strength.ToString("0.###", CultureInfo.InvariantCulture),
                    ];
                })));

            string png = Path.Combine(outDir.FullName, "frontier.png");
            ResultsPlots.Frontier(
                rows.Select(r => (r.Series, r.Setting, ReproductionReport.At(r.Result, k)!.HitRate.Mean, ReproductionReport.At(r.Result, k)!.IncreaseOfInterest.Mean)).ToList(),
                k,
                png);

            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Console.Profile.Width = 160;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("series", "setting", $"HR@{k}", $"IoI@{k}", $"IoR@{k}");
            foreach (var (series, setting, result) in rows)
            {
                var last = ReproductionReport.At(result, k)!;
                table.AddRow(Markup.Escape(series), Markup.Escape(setting), ReproductionReport.Format(last.HitRate.Mean), ReproductionReport.Format(last.IncreaseOfInterest.Mean), last.IncreaseOfRanking.Mean.ToString("F1", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            Console.WriteLine($"Wrote {csv}, {png}");
            return 0;
        }
    }
}
