using Ipg.Encoders;
using Ipg.Simulation;

namespace Ipg.Simulation.Tests;

/// <summary>Small presets that keep the suite fast.</summary>
internal static class TestPresets
{
    public static SimulatorOptions Small(long seed = 7) => SimulatorOptions.Paper with { Users = 60, Items = 80, Seed = seed };

    /// <summary>Reference normalisation, written independently of the simulator.</summary>
    public static double[] Normalised(double[] v)
    {
        var n = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / n).ToArray();
    }

    public static double[] Unit(int dimension, int index)
    {
        var v = new double[dimension];
        v[index] = 1;
        return v;
    }

    public static int[] Repeat(int users, int item) => Enumerable.Repeat(item, users).ToArray();

    /// <summary>An in-memory encoder over the simulator's true item embeddings (ids 1..N), max history 10.</summary>
    public static InMemoryEncoder TrueItemEncoder(TopicSimulator world)
    {
        var rows = new float[world.ItemCount * world.Dimension];
        for (var k = 0; k < rows.Length; k++)
        {
            rows[k] = (float)world.ItemEmbeddings[k];
        }

        return new InMemoryEncoder(ItemEmbeddingTable.FromItemRows(world.ItemCount, world.Dimension, rows), maxHistoryLength: 10);
    }

    /// <summary>A table of uniform(−1, 1) rows.</summary>
    public static ItemEmbeddingTable RandomTable(int items, int d, int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, items * d).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        return ItemEmbeddingTable.FromItemRows(items, d, rows);
    }

    /// <summary>Random histories of length in [minLength, maxLength].</summary>
    public static int[][] RandomSequences(int users, int items, int minLength, int maxLength, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, users).Select(_ => Enumerable.Range(0, random.Next(minLength, maxLength + 1)).Select(_ => random.Next(1, items + 1)).ToArray()).ToArray();
    }

    /// <summary>u_t = γ·u_{t−1} + (1 − γ)·ê_{i_t}, u_0 = 0: the linear assumption holds exactly at every length.</summary>
    public static InMemoryEncoder ExponentialEncoder(ItemEmbeddingTable items, float gamma) => new(items, representation: (history, table, destination) =>
    {
        destination.Clear();
        foreach (int id in history)
        {
            var row = table[id];
            for (int k = 0; k < destination.Length; k++)
            {
                destination[k] = (gamma * destination[k]) + ((1 - gamma) * row[k]);
            }
        }
    });
}
