using Ipg.Simulation.Guidance;
using Ipg.Simulation.Reproduction;
using Spectre.Console;

namespace Ipg.Cli;

/// <summary>The policy × metric table printed by <c>ipg reproduce</c>.</summary>
internal static class ResultsTable
{
    public static Table Build(IReadOnlyList<GuidanceResult> policies)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("policy");

        // The paper's K = 5, 10, 15, 20; a shorter run reports up to its own last round.
        var checkpoints = policies.Count == 0 ? ReproductionReport.TableCheckpoints : ReproductionReport.TableCheckpointsFor(policies[0]);
        int lastK = checkpoints.Count == 0 ? 20 : checkpoints[^1];
        foreach (int k in checkpoints)
        {
            table.AddColumn(new TableColumn($"HR@{k}").RightAligned());
        }

        foreach (int k in checkpoints)
        {
            table.AddColumn(new TableColumn($"IoI@{k}").RightAligned());
        }

        table.AddColumn(new TableColumn($"IoI@{lastK} 95% CI").RightAligned());
        table.AddColumn(new TableColumn($"IoR@{lastK}").RightAligned());
        table.AddColumn(new TableColumn("time").RightAligned());

        foreach (var policy in policies)
        {
            var cells = new List<string> { Markup.Escape(policy.PolicyName) };
            foreach (int k in checkpoints)
            {
                cells.Add(ReproductionReport.At(policy, k) is { } s ? ReproductionReport.Format(s.HitRate.Mean) : "–");
            }

            foreach (int k in checkpoints)
            {
                cells.Add(ReproductionReport.At(policy, k) is { } s ? ReproductionReport.Format(s.IncreaseOfInterest.Mean) : "–");
            }

            var last = ReproductionReport.At(policy, lastK);
            cells.Add(last is null ? "–" : Markup.Escape(ReproductionReport.FormatInterval(last.IncreaseOfInterest)));
            cells.Add(last is null ? "–" : last.IncreaseOfRanking.Mean.ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
            cells.Add($"{policy.Elapsed.TotalSeconds:F1} s");
            table.AddRow(cells.ToArray());
        }

        return table;
    }
}
