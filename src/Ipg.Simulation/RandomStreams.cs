using MathNet.Numerics.Random;

namespace Ipg.Simulation;

/// <summary>
/// Derives independent, seeded MathNet generators from (seed, purpose, counter), so that no
/// generator state ever has to be saved: a loaded simulator re-derives the stream of its next
/// round from the saved round counter (spec §3; see docs/simulator.md "Randomness").
/// </summary>
internal static class RandomStreams
{
    /// <summary>Purposes of the derived streams; the values are part of the reproducibility contract.</summary>
    internal enum Purpose : long
    {
        UserEmbeddings = 1,
        ItemEmbeddings = 2,
        Clicks = 3,
        LogCollection = 4,
        Targets = 5,
    }

    /// <summary>A fresh, non-thread-safe Xoshiro256** generator for one stream.</summary>
    public static Xoshiro256StarStar Create(long seed, Purpose purpose, long stream, long counter)
    {
        var h = SplitMix((ulong)seed);
        h = SplitMix(h ^ (ulong)purpose);
        h = SplitMix(h ^ (ulong)stream);
        h = SplitMix(h ^ (ulong)counter);
        return new Xoshiro256StarStar(unchecked((int)(h ^ (h >> 32))), threadSafe: false);
    }

    /// <summary>Uniform integer in [0, n) from one uniform double (n·u truncated; n ≤ 2^31).</summary>
    public static int NextIndex(Xoshiro256StarStar rng, int n)
    {
        var k = (int)(rng.NextDouble() * n);
        return k >= n ? n - 1 : k;
    }

    private static ulong SplitMix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
