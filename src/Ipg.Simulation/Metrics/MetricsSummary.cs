using MathNet.Numerics.Distributions;

namespace Ipg.Simulation.Metrics;

/// <summary>Averages per-target metrics over targets with Student-t intervals (spec §3: averaged over users, then targets).</summary>
public static class MetricsSummary
{
    /// <summary>Summarises targets checkpoint by checkpoint (only checkpoints every target reached).</summary>
    /// <param name="targets">Per-target metrics.</param>
    /// <param name="confidenceLevel">Interval level in (0, 1), e.g. 0.95.</param>
    /// <returns>One summary per common checkpoint, in increasing K.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="targets"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> is empty, or the level is out of range.</exception>
    public static IReadOnlyList<CheckpointSummary> Summarize(IReadOnlyList<TargetMetrics> targets, double confidenceLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count == 0)
        {
            throw new ArgumentException("At least one target is needed.", nameof(targets));
        }

        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "confidenceLevel must be in (0, 1).");
        }

        var common = targets[0].Checkpoints.Select(c => c.Rounds)
            .Where(k => targets.All(t => t.Checkpoints.Any(c => c.Rounds == k)))
            .ToList();
        return common.Select(k =>
        {
            var at = targets.Select(t => t.At(k)).ToList();
            return new CheckpointSummary(
                k,
                Estimate(at.Select(c => c.HitRate).ToList(), confidenceLevel),
                Estimate(at.Select(c => c.IncreaseOfInterest).ToList(), confidenceLevel),
                Estimate(at.Select(c => c.IncreaseOfRanking).ToList(), confidenceLevel));
        }).ToList();
    }

    /// <summary>Mean and Student-t interval of a sample.</summary>
    /// <param name="values">The per-target values (at least one).</param>
    /// <param name="confidenceLevel">Interval level in (0, 1).</param>
    /// <returns>The estimate; for one value the deviation and half-width are NaN.</returns>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static MetricEstimate Estimate(IReadOnlyList<double> values, double confidenceLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("At least one value is needed.", nameof(values));
        }

        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "confidenceLevel must be in (0, 1).");
        }

        var n = values.Count;
        var mean = values.Average();
        if (n < 2)
        {
            return new MetricEstimate(mean, double.NaN, double.NaN, n);
        }

        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        var t = StudentT.InvCDF(0, 1, n - 1, (1 + confidenceLevel) / 2);
        return new MetricEstimate(mean, sd, t * sd / Math.Sqrt(n), n);
    }
}
