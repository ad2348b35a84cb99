namespace Ipg.Simulation.Metrics;

/// <summary>A mean across targets with its Student-t confidence interval.</summary>
/// <param name="Mean">Mean over targets.</param>
/// <param name="StandardDeviation">Sample standard deviation over targets (NaN for one target).</param>
/// <param name="HalfWidth">t_{(1+level)/2, n−1} · sd / √n (NaN for one target).</param>
/// <param name="Count">Number of targets n.</param>
public readonly record struct MetricEstimate(double Mean, double StandardDeviation, double HalfWidth, int Count)
{
    /// <summary>Lower end of the interval.</summary>
    public double Lower => Mean - HalfWidth;

    /// <summary>Upper end of the interval.</summary>
    public double Upper => Mean + HalfWidth;
}
