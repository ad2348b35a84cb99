using System.Diagnostics;
using Ipg.Policies;
using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Guidance;

/// <summary>
/// The guidance phase of spec §3: a set of target items, each run from the saved state by a
/// <see cref="GuidanceRunner"/>; metrics averaged over users, then over targets, with intervals.
/// </summary>
public sealed class GuidanceExperiment
{
    private readonly int[] _targets;

    /// <summary>Creates an experiment.</summary>
    /// <param name="runner">The closed loop (start state, encoder, initial sequences, options).</param>
    /// <param name="targetItemIds">The targets, encoder ids 1..N (at least one).</param>
    /// <exception cref="ArgumentException">No targets, or an id out of range.</exception>
    public GuidanceExperiment(GuidanceRunner runner, IReadOnlyList<int> targetItemIds)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(targetItemIds);
        if (targetItemIds.Count == 0)
        {
            throw new ArgumentException("At least one target is needed.", nameof(targetItemIds));
        }

        foreach (var id in targetItemIds)
        {
            if (id < 1 || id > runner.ItemCount)
            {
                throw new ArgumentException($"Target id {id} is outside 1..{runner.ItemCount}.", nameof(targetItemIds));
            }
        }

        Runner = runner;
        _targets = [.. targetItemIds];
    }

    /// <summary>The runner.</summary>
    public GuidanceRunner Runner { get; }

    /// <summary>The targets (encoder ids 1..N).</summary>
    public IReadOnlyList<int> Targets => _targets;

    /// <summary>
    /// Builds an experiment from a collected log: the initial sequences are each user's clicks in
    /// log order (item ids are shared by the log, the simulator and the encoder).
    /// </summary>
    /// <param name="startState">The end-of-collection state.</param>
    /// <param name="log">The collected interactions (zero-based users, item ids 1..N, time order).</param>
    /// <param name="encoder">The sequential encoder.</param>
    /// <param name="targetItemIds">The targets, encoder ids 1..N.</param>
    /// <param name="options">Guidance parameters.</param>
    /// <returns>The experiment.</returns>
    /// <exception cref="ArgumentException">Sizes disagree or an id is out of range.</exception>
    public static GuidanceExperiment FromLog(TopicSimulator startState, IReadOnlyList<Interaction> log, ISequentialEncoder encoder, IReadOnlyList<int> targetItemIds, GuidanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(startState);
        ArgumentNullException.ThrowIfNull(log);
        var sequences = InteractionLogFormat.ToSequences(log, startState.UserCount);

        return new GuidanceExperiment(new GuidanceRunner(startState, encoder, sequences, options), targetItemIds);
    }

    /// <summary>Samples distinct target ids uniformly from 1..<paramref name="itemCount"/> (spec §3: 50 random targets).</summary>
    /// <param name="itemCount">Number of items N.</param>
    /// <param name="count">Number of targets (1..N).</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <returns>Distinct ids in 1..N, in draw order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public static int[] SampleTargets(int itemCount, int count, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(itemCount, 1);
        if (count < 1 || count > itemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be in 1..{itemCount}.");
        }

        var rng = RandomStreams.Create(seed, RandomStreams.Purpose.Targets, 0, 0);
        var ids = Enumerable.Range(1, itemCount).ToArray();
        for (var k = 0; k < count; k++)
        {
            var pick = k + RandomStreams.NextIndex(rng, itemCount - k);
            (ids[k], ids[pick]) = (ids[pick], ids[k]);
        }

        return ids[..count];
    }

    /// <summary>Runs <paramref name="policy"/> on every target, one after the other.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="progress">Receives a report after every round of every target; optional.</param>
    /// <param name="cancellationToken">Cancels between rounds.</param>
    /// <returns>Per-target metrics and their summary.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="policy"/> is null.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public GuidanceResult Run(IRecommendationPolicy policy, IProgress<GuidanceProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var watch = Stopwatch.StartNew();
        var results = new List<TargetMetrics>(_targets.Length);
        for (var t = 0; t < _targets.Length; t++)
        {
            results.Add(Runner.RunTarget(policy, _targets[t], t, _targets.Length, progress, cancellationToken));
        }

        var summary = MetricsSummary.Summarize(results, Runner.Options.Metrics.ConfidenceLevel);
        return new GuidanceResult(policy.Name, results, summary, watch.Elapsed, policy.Guidance);
    }
}
