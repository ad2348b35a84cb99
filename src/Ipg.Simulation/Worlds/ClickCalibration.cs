namespace Ipg.Simulation.Worlds;

/// <summary>
/// The calibration rule of the click model (docs/real-data.md "Click calibration"): with the slope fixed, choose the offset
/// so that the mean click probability of uniformly random (user, item) pairs equals a target rate (the paper world's
/// random click rate, 0.09). The mean is taken over a seeded sample of pairs; it is strictly decreasing in the offset,
/// so bisection finds it to 1e-12.
/// </summary>
internal static class ClickCalibration
{
    private const int Chunk = 65536;

    /// <summary>Seeded sample of uniformly random (user, item) scores ê_u·ê_i.</summary>
    public static double[] RandomScores(double[] users, double[] items, int d, int samples, long seed, long stream)
    {
        var rng = RandomStreams.Create(seed, WorldRandomPurpose.Calibration, stream, 0);
        var userCount = users.Length / d;
        var itemCount = items.Length / d;
        var scores = new double[samples];
        for (var k = 0; k < samples; k++)
        {
            var u = RandomStreams.NextIndex(rng, userCount);
            var i = RandomStreams.NextIndex(rng, itemCount);
            scores[k] = DeterministicMath.Dot(users.AsSpan(u * d, d), items.AsSpan(i * d, d));
        }

        return scores;
    }

    /// <summary>Mean of sigmoid((s − offset)·slope) over the scores; chunked in parallel, summed in a fixed order.</summary>
    public static double MeanClickProbability(double[] scores, double offset, double slope)
    {
        var chunks = (scores.Length + Chunk - 1) / Chunk;
        var partial = new double[chunks];
        Parallel.For(0, chunks, c =>
        {
            var s = 0.0;
            var end = Math.Min(scores.Length, (c + 1) * Chunk);
            for (var k = c * Chunk; k < end; k++)
            {
                s += DeterministicMath.Sigmoid((scores[k] - offset) * slope);
            }

            partial[c] = s;
        });
        var total = 0.0;
        foreach (var p in partial)
        {
            total += p;
        }

        return total / scores.Length;
    }

    /// <summary>The offset at which random pairs are clicked at <paramref name="targetRate"/>.</summary>
    public static double CalibrateOffset(double[] users, double[] items, int d, double slope, double targetRate, int samples, long seed)
    {
        var scores = RandomScores(users, items, d, samples, seed, stream: 0);

        // Scores of unit vectors lie in [−1, 1]; 40/slope beyond that drives the mean to within e^-40 of 0 or 1.
        var lo = -1 - (40 / slope);
        var hi = 1 + (40 / slope);
        for (var iteration = 0; iteration < 100 && hi - lo > 1e-12; iteration++)
        {
            var mid = 0.5 * (lo + hi);
            if (MeanClickProbability(scores, mid, slope) > targetRate)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }
}
