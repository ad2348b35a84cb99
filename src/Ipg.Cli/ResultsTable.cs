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
        foreach (int k in ReproductionReport.TableCheckpoints)
        {
            table.AddColumn(new TableColumn($"HR@{k}").RightAligned());
        }

        foreach (int k in ReproductionReport.TableCheckpoints)
        {
            table.AddColumn(new TableColumn($"IoI@{k}").RightAligned());
        }

        table.AddColumn(new TableColumn("IoI@20 95% CI").RightAligned());
        table.AddColumn(new TableColumn("IoR@20").RightAligned());
        table.AddColumn(new TableColumn("time").RightAligned());

        foreach (var policy in policies)
        {
            var cells = new List<string> { Markup.Escape(policy.PolicyName) };
            foreach (int k in ReproductionReport.TableCheckpoints)
            {
                cells.Add(ReproductionReport.At(policy, k) is { } s ? ReproductionReport.Format(s.HitRate.Mean) : "–");
            }

            foreach (int k in ReproductionReport.TableCheckpoints)
            {
                cells.Add(ReproductionReport.At(policy, k) is { } s ? ReproductionReport.Format(s.IncreaseOfInterest.Mean) : "–");
            }

            var last = ReproductionReport.At(policy, 20);
            cells.Add(last is null ? "–" : $"[[{ReproductionReport.Format(last.IncreaseOfInterest.Lower)}, {ReproductionReport.Format(last.IncreaseOfInterest.Upper)}]]");
            cells.Add(last is null ? "–" : last.IncreaseOfRanking.Mean.ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
            cells.Add($"{policy.Elapsed.TotalSeconds:F1} s");
            table.AddRow(cells.ToArray());
        }

        return table;
    }
}
