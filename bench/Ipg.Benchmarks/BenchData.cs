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
}
