using Ipg.Simulation.Guidance;
using Ipg.Simulation.Reproduction;
using ScottPlot;

namespace Ipg.Cli;

/// <summary>The PNG plots of <c>ipg reproduce</c> and <c>ipg sweep</c>.</summary>
internal static class ResultsPlots
{
    /// <summary>HR@K against IoI@K per policy (one point per policy, with the IoI 95 % interval).</summary>
    public static void HitRateVersusInterest(IReadOnlyList<GuidanceResult> policies, int rounds, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int p = 0; p < policies.Count; p++)
        {
            if (ReproductionReport.At(policies[p], rounds) is not { } s)
            {
                continue;
            }

            var color = palette.GetColor(p);
            var point = plot.Add.Scatter(new[] { s.HitRate.Mean }, new[] { s.IncreaseOfInterest.Mean }, color);
            point.MarkerSize = 10;
            point.LegendText = policies[p].PolicyName;
            var bar = plot.Add.ErrorBar(new[] { s.HitRate.Mean }, new[] { s.IncreaseOfInterest.Mean }, new[] { s.IncreaseOfInterest.HalfWidth });
            bar.Color = color;
        }

        plot.Title($"Accuracy vs guidance after {rounds} rounds");
        plot.XLabel($"HR@{rounds}");
        plot.YLabel($"IoI@{rounds}");
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, path);
    }

    /// <summary>IoI after every round, one line per policy.</summary>
    public static void InterestOverRounds(IReadOnlyList<GuidanceResult> policies, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int p = 0; p < policies.Count; p++)
        {
            var xs = new List<double> { 0 };
            var ys = new List<double> { 0 };
            foreach (var s in policies[p].Summary)
            {
                xs.Add(s.Rounds);
                ys.Add(s.IncreaseOfInterest.Mean);
            }

            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), palette.GetColor(p));
            line.LegendText = policies[p].PolicyName;
        }

        plot.Title("Increase of interest in the target over rounds");
        plot.XLabel("round");
        plot.YLabel("IoI");
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, path);
    }

    /// <summary>A frontier: HR@K against IoI@K for a series of settings, labelled.</summary>
    public static void Frontier(IReadOnlyList<(string Series, string Label, double HitRate, double Interest)> points, int rounds, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        foreach (var group in points.GroupBy(p => p.Series))
        {
            var list = group.OrderBy(p => p.HitRate).ToList();
            var line = plot.Add.Scatter(list.Select(p => p.HitRate).ToArray(), list.Select(p => p.Interest).ToArray(), palette.GetColor(index++));
            line.LegendText = group.Key;
            foreach (var p in list)
            {
                var text = plot.Add.Text(p.Label, p.HitRate, p.Interest);
                text.LabelFontSize = 10;
            }
        }

        plot.Title($"Accuracy/guidance frontier after {rounds} rounds");
        plot.XLabel($"HR@{rounds}");
        plot.YLabel($"IoI@{rounds}");
        // Outside the data area: with a dozen series (every knob and every guidance model's λ) an inner legend
        // covers the interesting corner of the frontier.
        plot.ShowLegend(Edge.Right);
        Save(plot, path, width: 1300);
    }

    private static void Save(Plot plot, string path, int width = 900) =>
        Simulation.Reproduction.AtomicFile.Write(path, stream =>
        {
            var bytes = plot.GetImageBytes(width, 600, ImageFormat.Png);
            stream.Write(bytes);
        });
}
