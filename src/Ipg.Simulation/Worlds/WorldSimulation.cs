using Ipg.Simulation.Reproduction;

namespace Ipg.Simulation.Worlds;

/// <summary>
/// Runs the paper's guidance protocol on a real-data world: the world's ground truth becomes a
/// <see cref="TopicSimulator"/> (<see cref="TopicSimulator.FromGroundTruth"/>) with the world's click model and
/// dynamics, each user's train history is the starting sequence, and the train split is the log a recommender
/// under test is trained on (<see cref="WriteTrainLog"/>, for <c>tools/sasrec</c>). The experiment then runs through
/// the same <see cref="PaperReproduction"/> pipeline as the paper world.
/// </summary>
public static class WorldSimulation
{
    /// <summary>The simulator options a world's dynamics describe (users, items, topics, click model, ω, penalty, boredom, seed).</summary>
    /// <param name="world">The world.</param>
    /// <returns>Validated options for <see cref="TopicSimulator.FromGroundTruth"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="world"/> is null.</exception>
    public static SimulatorOptions Dynamics(RealDataWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var o = world.Options;
        var options = SimulatorOptions.Paper with
        {
            Users = world.UserCount,
            Items = world.ItemCount,
            Topics = world.TopicCount,
            DimensionsPerTopic = 1,
            Offset = world.Offset,
            Slope = world.Slope,
            Omega = o.Omega,
            RepeatPenalty = o.RepeatPenalty,
            BoredomWindow = o.BoredomWindow,
            BoredomThreshold = o.BoredomThreshold,
            BoredomDuration = o.BoredomDuration,
            BoredomFactor = o.BoredomFactor,
            Seed = o.Seed,
        };
        options.Validate();
        return options;
    }

    /// <summary>The world's ground truth as a simulator at round 0 (no bias, no boredom).</summary>
    /// <param name="world">The world.</param>
    /// <returns>The simulator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="world"/> is null.</exception>
    public static TopicSimulator CreateSimulator(RealDataWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        return TopicSimulator.FromGroundTruth(Dynamics(world), world.Dimension, world.UserVectors, world.ItemVectors, world.ItemTopics, world.TopicDirections);
    }

    /// <summary>The train split as interactions (zero-based users, item ids 1..N), user by user, each in time order.</summary>
    /// <param name="world">The world.</param>
    /// <returns>The interactions.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="world"/> is null.</exception>
    public static List<Interaction> TrainInteractions(RealDataWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var log = new List<Interaction>();
        for (var u = 0; u < world.UserCount; u++)
        {
            foreach (var id in world.TrainHistory(u))
            {
                log.Add(new Interaction(u, id));
            }
        }

        return log;
    }

    /// <summary>
    /// Writes the train split as a <c>user item</c> log (<see cref="InteractionLogFormat"/>, 1-based, grouped by user in
    /// time order), the input of <c>tools/sasrec/train.py</c>. Its SHA-256 is the world's
    /// <see cref="CollectedWorld.LogSha256"/>, which <c>ipg reproduce --world</c> checks against the model's training log.
    /// </summary>
    /// <param name="world">The world.</param>
    /// <param name="path">The file to write (replaced atomically).</param>
    /// <exception cref="ArgumentNullException"><paramref name="world"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteTrainLog(RealDataWorld world, string path)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentException.ThrowIfNullOrEmpty(path);
        InteractionLogFormat.Write(path, TrainInteractions(world));
    }

    /// <summary>
    /// The world as the reproduction pipeline's <see cref="CollectedWorld"/>: the start state is the ground truth at
    /// round 0, the "collected log" is the train split (every interaction counted as a click of a recommendation, so
    /// the click rate is 1: there was no collection phase), and the log hash is that of <see cref="WriteTrainLog"/>'s bytes.
    /// </summary>
    /// <param name="world">The world.</param>
    /// <returns>The collected world.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="world"/> is null.</exception>
    public static CollectedWorld ToCollectedWorld(RealDataWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var log = TrainInteractions(world);
        var collection = new LogCollectionResult(log, 0, log.Count, TimeSpan.Zero);
        return new CollectedWorld(CreateSimulator(world), collection, PaperReproduction.ComputeLogSha256(log));
    }

    /// <summary>
    /// The reproduction options of a run on <paramref name="world"/>: its dynamics as the simulator, and the guidance
    /// settings (users, targets, target seed, rounds) from <paramref name="guidance"/>.
    /// </summary>
    /// <param name="world">The world.</param>
    /// <param name="guidance">Users (null = all), targets, target seed and rounds; its simulator and collection settings are replaced.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The settings are invalid (e.g. more users than the world has).</exception>
    public static ReproductionOptions Options(RealDataWorld world, ReproductionOptions guidance)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(guidance);
        var options = guidance with { Simulator = Dynamics(world), Users = guidance.Users is { } u ? Math.Min(u, world.UserCount) : null };
        options.Validate();
        return options;
    }
}
