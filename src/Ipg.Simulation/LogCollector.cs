using System.Diagnostics;

namespace Ipg.Simulation;

/// <summary>
/// Builds the training log of spec §3: for a number of rounds, every user is shown one item —
/// with probability <see cref="LogCollectionOptions.RandomItemProbability"/> a uniformly random
/// item, otherwise the oracle's best item not yet shown to that user — and the clicks form the log.
/// </summary>
/// <remarks>
/// Random draws: per round, a stream derived from (collection seed, round); users in ascending
/// order draw a coin and, if random, an item. The oracle argmax runs in parallel over users but
/// touches no random stream, so the log does not depend on threading. "Shown" covers every item
/// shown to the user, random or oracle. If every item was already shown to a user, the oracle
/// falls back to the best item overall.
/// </remarks>
public sealed class LogCollector
{
    private readonly LogCollectionOptions _options;

    /// <summary>Creates a collector.</summary>
    /// <param name="options">The collection parameters; validated.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A parameter is invalid.</exception>
    public LogCollector(LogCollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>Runs the collection on <paramref name="simulator"/>, which is advanced by <see cref="LogCollectionOptions.Rounds"/> rounds.</summary>
    /// <param name="simulator">The simulator (its state at the end is the guidance start state).</param>
    /// <param name="progress">Receives the number of completed rounds; optional.</param>
    /// <param name="cancellationToken">Checked between rounds.</param>
    /// <returns>The clicks and statistics.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="simulator"/> is null.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the simulator then holds a partial collection).</exception>
    public LogCollectionResult Collect(TopicSimulator simulator, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        var watch = Stopwatch.StartNew();
        var users = simulator.UserCount;
        var items = simulator.ItemCount;
        var words = (items + 63) >> 6;
        var shown = new ulong[(long)users * words];
        var recommendations = new int[users]; // zero-based indices inside the collector (the shown bitmap's)
        var shownIds = new int[users];        // the same as item ids, for the simulator and the log
        var clicked = new bool[users];
        var oracleUsers = new int[users];
        var log = new List<Interaction>();
        var impressions = _options.KeepImpressions ? new List<Impression>(checked(_options.Rounds * users)) : null;

        for (var round = 0; round < _options.Rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = RandomStreams.Create(_options.Seed, RandomStreams.Purpose.LogCollection, 0, round);
            var oracleCount = 0;
            for (var u = 0; u < users; u++)
            {
                if (rng.NextDouble() < _options.RandomItemProbability)
                {
                    recommendations[u] = RandomStreams.NextIndex(rng, items);
                }
                else
                {
                    oracleUsers[oracleCount++] = u;
                }
            }

            Parallel.For(
                0,
                oracleCount,
                () => new double[items],
                (k, _, buffer) =>
                {
                    var u = oracleUsers[k];
                    var best = simulator.OracleBestUnseen(u, shown.AsSpan(u * words, words), buffer);
                    recommendations[u] = best >= 0 ? best : simulator.OracleBestItem(u) - 1;
                    return buffer;
                },
                _ => { });

            for (var u = 0; u < users; u++)
            {
                var i = recommendations[u];
                shown[((long)u * words) + (i >> 6)] |= 1UL << (i & 63);
                shownIds[u] = i + 1;
            }

            simulator.Step(shownIds, clicked);
            for (var u = 0; u < users; u++)
            {
                if (clicked[u])
                {
                    log.Add(new Interaction(u, shownIds[u]));
                }

                impressions?.Add(new Impression(u, shownIds[u], round, clicked[u]));
            }

            progress?.Report(round + 1);
        }

        watch.Stop();
        return new LogCollectionResult(log, _options.Rounds, (long)_options.Rounds * users, watch.Elapsed) { Impressions = impressions };
    }
}
