using System.CommandLine;
using System.Globalization;
using System.Text;
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
        var exact = new Option<bool>("--exact") { Description = "Also run the exact look-ahead (M = 10, 20); each user then costs M extra encodings per round." };
        var command = new Command("sweep", "Chart the accuracy/guidance frontier of the re-ranker's knobs (γ of the Absolute form, form × negative guidance, …).") { baselines, exact };
        foreach (var option in setup.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, cancellationToken) => Task.FromResult(Run(setup, parseResult, parseResult.GetValue(baselines), parseResult.GetValue(exact), cancellationToken)));
        return command;
    }

    internal static IReadOnlyList<(string Series, string Setting, IRecommendationPolicy Policy)> Settings(ISequentialEncoder encoder, bool baselines, bool exact)
    {
        var settings = new List<(string, string, IRecommendationPolicy)>();
        // γ of the Absolute form, under both negative-guidance policies: with SASRec's unnormalised
        // embeddings ê_j·ê_u is often negative, so for larger γ every g can be negative and the raw
        // product then prefers unlikely items.
        foreach (var negative in new[] { NegativeGuidancePolicy.AccuracyFallback, NegativeGuidancePolicy.Raw })
        {
            foreach (float gamma in Gammas)
            {
                var options = IpgOptions.Paper with { Form = GuidanceForm.Absolute, Gamma = gamma, NegativeGuidance = negative };
                settings.Add(($"IPG Absolute ({negative}), γ", gamma.ToString("0.###", CultureInfo.InvariantCulture), new IpgPolicy(new IpgReranker(encoder, options))));
            }
        }

        foreach (var form in new[] { GuidanceForm.Increase, GuidanceForm.Cosine })
        {
            foreach (var negative in Enum.GetValues<NegativeGuidancePolicy>())
            {
                var options = IpgOptions.Paper with { Form = form, NegativeGuidance = negative };
                settings.Add(("IPG form / negative guidance", $"{form}/{negative}", new IpgPolicy(new IpgReranker(encoder, options))));
            }
        }

        if (exact)
        {
            foreach (int m in new[] { 10, 20 })
            {
                var options = IpgOptions.Paper with { LookAhead = LookAheadMode.Exact, ExactCandidates = m };
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

    private static int Run(ExperimentSetup setup, ParseResult parseResult, bool baselines, bool exact, CancellationToken cancellationToken)
    {
        var (prepared, exitCode) = setup.Prepare(parseResult, "sweep", cancellationToken);
        if (prepared is null)
        {
            return exitCode;
        }

        using (prepared)
        {
            int k = prepared.Options.Rounds;
            var settings = Settings(prepared.Encoder, baselines, exact);
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
            AtomicFile.Write(csv, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
                writer.WriteLine($"series,setting,HR@{k},IoI@{k},IoI@{k}_ci95_low,IoI@{k}_ci95_high,IoR@{k},seconds");
                foreach (var (series, setting, result) in rows)
                {
                    var last = ReproductionReport.At(result, k)!;
                    writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"\"{series}\",\"{setting}\",{last.HitRate.Mean:F6},{last.IncreaseOfInterest.Mean:F6},{last.IncreaseOfInterest.Lower:F6},{last.IncreaseOfInterest.Upper:F6},{last.IncreaseOfRanking.Mean:F3},{result.Elapsed.TotalSeconds:F2}"));
                }
            });

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
