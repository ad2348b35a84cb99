namespace Ipg.Benchmarks;

/// <summary>Seeded inputs shared by the benchmarks.</summary>
internal static class BenchData
{
    /// <summary><paramref name="count"/> random histories of <paramref name="length"/> item ids in 1..<paramref name="items"/>.</summary>
    public static ReadOnlyMemory<int>[] Histories(int count, int length, int items, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => (ReadOnlyMemory<int>)Enumerable.Range(0, length).Select(_ => random.Next(1, items + 1)).ToArray())
            .ToArray();
    }

    /// <summary>
    /// The scoring benchmarks' table: N × d values uniform in [−0.5, 0.5), drawn from <paramref name="random"/> (which the
    /// caller goes on drawing its users from, so every benchmark on seed 42 sees the same table and users).
    /// </summary>
    public static ItemEmbeddingTable UniformTable(int itemCount, int dimension, Random random)
    {
        var rows = new float[itemCount * dimension];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)(random.NextDouble() - 0.5);
        }

        return ItemEmbeddingTable.FromItemRows(itemCount, dimension, rows);
    }
}
