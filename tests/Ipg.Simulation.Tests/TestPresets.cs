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
}
