using Ipg.Encoders;

namespace Ipg.Tests;

/// <summary>Seeded random tables and users for tests.</summary>
internal static class TestData
{
    /// <summary>
    /// The library's defaults before they were chosen by measurement (docs/guidance.md): the paper's Increase form at
    /// λ = 1 with the accuracy fallback. Tests written against that tiering (guiding tier, then fallback tier) use it.
    /// </summary>
    public static IpgOptions LinearFallback { get; } = IpgOptions.Paper with { NegativeGuidance = NegativeGuidancePolicy.AccuracyFallback };

    public static ItemEmbeddingTable RandomTable(int itemCount, int dimension, int seed)
    {
        var random = new Random(seed);
        var rows = new float[itemCount * dimension];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return ItemEmbeddingTable.FromItemRows(itemCount, dimension, rows);
    }

    public static float[] RandomVector(int dimension, Random random, float scale = 1f)
    {
        var v = new float[dimension];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return v;
    }

    /// <summary>The 4-item, 2-d example whose numbers are worked out by hand in the tests.</summary>
    public static ItemEmbeddingTable HandTable() => ItemEmbeddingTable.FromItemRows(4, 2, [
        1f, 0f,     // item 1
        0f, 1f,     // item 2 (the target in the hand cases)
        1f, 1f,     // item 3
        -1f, 0.5f,  // item 4
    ]);

    public static InMemoryEncoder HandEncoder() => new(HandTable());
}
