using Ipg.Simulation.Guidance;
using Ipg.Simulation.Reproduction;
using ScottPlot;

namespace Ipg.Cli;

/// <summary>The PNG plots of <c>ipg reproduce</c> and <c>ipg sweep</c>.</summary>
internal static class ResultsPlots
{
    /// <summary>
    /// HR@K against IoI@K per policy: one marker per policy (policies are categories: nothing joins them), with the
    /// Student-t 95 % interval of IoI@K across targets as the error bar, said in the axis label (no bar for one target).
    /// </summary>
    public static void HitRateVersusInterest(IReadOnlyList<GuidanceResult> policies, int rounds, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int targets = 0;
        for (int p = 0; p < policies.Count; p++)
        {
            if (ReproductionReport.At(policies[p], rounds) is not { } s)
            {
                continue;
            }

            targets = s.IncreaseOfInterest.Count;
            var color = palette.GetColor(p);
            var point = plot.Add.Scatter(new[] { s.HitRate.Mean }, new[] { s.IncreaseOfInterest.Mean }, color);
            point.MarkerSize = 10;
            point.LineWidth = 0;
            point.LegendText = policies[p].PolicyName;
            if (double.IsFinite(s.IncreaseOfInterest.HalfWidth))
            {
                var bar = plot.Add.ErrorBar(new[] { s.HitRate.Mean }, new[] { s.IncreaseOfInterest.Mean }, new[] { s.IncreaseOfInterest.HalfWidth });
                bar.Color = color;
            }
        }

        plot.Title($"Accuracy vs guidance after {rounds} rounds");
        plot.XLabel($"HR@{rounds} (mean over targets)");
        plot.YLabel(targets >= 2
            ? $"IoI@{rounds}; bars: 95 % interval across {targets} targets"
            : $"IoI@{rounds} (one target: no interval)");
        HideMinorTicks(plot);
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, path);
    }

    /// <summary>IoI after every round, one line per policy (rounds on an integer axis from 0 to the last round).</summary>
    public static void InterestOverRounds(IReadOnlyList<GuidanceResult> policies, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int last = 0;
        for (int p = 0; p < policies.Count; p++)
        {
            var xs = new List<double> { 0 };
            var ys = new List<double> { 0 };
            foreach (var s in policies[p].Summary)
            {
                xs.Add(s.Rounds);
                ys.Add(s.IncreaseOfInterest.Mean);
                last = Math.Max(last, s.Rounds);
            }

            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), palette.GetColor(p));
            line.LegendText = policies[p].PolicyName;
        }

        plot.Title("Increase of interest in the target over rounds");
        plot.XLabel("round");
        plot.YLabel("IoI (mean over targets)");
        RoundTicks(plot, last);
        HideMinorTicks(plot);
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, path);
    }

    /// <summary>
    /// A frontier: HR@K against IoI@K for a series of settings, labelled. A series whose settings are numbers (γ, λ) is
    /// joined in the order of its settings; one whose settings are categories (a form and a policy) is markers only.
    /// Labels that would overlap one already drawn are left out (the CSV has every value).
    /// </summary>
    public static void Frontier(IReadOnlyList<(string Series, string Label, double HitRate, double Interest)> points, int rounds, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        const int width = 1300;
        const int height = 600;
        double xRange = Math.Max(points.Count == 0 ? 1 : points.Max(p => p.HitRate) - points.Min(p => p.HitRate), 1e-9);
        double yRange = Math.Max(points.Count == 0 ? 1 : points.Max(p => p.Interest) - points.Min(p => p.Interest), 1e-9);
        var placed = new List<(double X, double Y, double W, double H)>();
        foreach (var group in points.GroupBy(p => p.Series))
        {
            var list = group.ToList();
            bool numeric = list.All(p => double.TryParse(p.Label, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
            var line = plot.Add.Scatter(list.Select(p => p.HitRate).ToArray(), list.Select(p => p.Interest).ToArray(), palette.GetColor(index++));
            line.LegendText = group.Key;
            line.MarkerSize = 6;
            if (!numeric || list.Count == 1)
            {
                line.LineWidth = 0;
            }

            foreach (var p in list)
            {
                // The label's box in fractions of the data range (about 7 px a character, 14 px high, 80 % of the image
                // being data area), right of and below the point.
                double w = (p.Label.Length * 7.0 + 6) / (width * 0.8);
                double h = 16.0 / (height * 0.8);
                double x = (p.HitRate - points.Min(q => q.HitRate)) / xRange;
                double y = (p.Interest - points.Min(q => q.Interest)) / yRange;
                if (placed.Any(b => x < b.X + b.W && b.X < x + w && y - h < b.Y && b.Y - b.H < y))
                {
                    continue;
                }

                placed.Add((x, y, w, h));
                var text = plot.Add.Text(p.Label, p.HitRate, p.Interest);
                text.LabelFontSize = 10;
                text.OffsetX = 4;
                text.OffsetY = 2;
            }
        }

        plot.Title($"Accuracy/guidance frontier after {rounds} rounds");
        plot.XLabel($"HR@{rounds} (mean over targets)");
        plot.YLabel($"IoI@{rounds} (mean over targets)");
        HideMinorTicks(plot);
        // Outside the data area: with a dozen series (every knob and every guidance model's λ) an inner legend
        // covers the interesting corner of the frontier.
        plot.ShowLegend(Edge.Right);
        Save(plot, path, width, height);
    }

    /// <summary>Integer ticks 0..<paramref name="last"/> (every round up to 20, then a readable step), nothing outside.</summary>
    private static void RoundTicks(Plot plot, int last)
    {
        last = Math.Max(last, 1);
        int step = last <= 20 ? 1 : last <= 50 ? 5 : (int)Math.Ceiling(last / 10.0 / 10.0) * 10;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int r = 0; r <= last; r += step)
        {
            ticks.AddMajor(r, r.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.SetLimitsX(-0.3, last + 0.3);
    }

    private static void HideMinorTicks(Plot plot)
    {
        plot.Axes.Bottom.MinorTickStyle.Length = 0;
        plot.Axes.Left.MinorTickStyle.Length = 0;
    }

    private static void Save(Plot plot, string path, int width = 900, int height = 600) =>
        Simulation.Reproduction.AtomicFile.Write(path, stream =>
        {
            var bytes = plot.GetImageBytes(width, height, ImageFormat.Png);
            stream.Write(bytes);
        });
}
