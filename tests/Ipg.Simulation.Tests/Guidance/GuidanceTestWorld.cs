using Ipg.Encoders;
using Ipg.Simulation;

namespace Ipg.Simulation.Tests.Guidance;

/// <summary>A small collected world: simulator end state, log, and an in-memory encoder over the true item embeddings.</summary>
internal sealed class GuidanceTestWorld
{
    public GuidanceTestWorld(int users = 80, int items = 120, int rounds = 30, long seed = 5)
    {
        Start = new TopicSimulator(SimulatorOptions.Paper with { Users = users, Items = items, Seed = seed });
        Log = new LogCollector(LogCollectionOptions.Paper with { Rounds = rounds, Seed = seed }).Collect(Start).Interactions;
        Encoder = TestPresets.TrueItemEncoder(Start);
    }

    public TopicSimulator Start { get; }

    public IReadOnlyList<Interaction> Log { get; }

    public InMemoryEncoder Encoder { get; }
}
