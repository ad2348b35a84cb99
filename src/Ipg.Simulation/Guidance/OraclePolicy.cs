using Ipg.Policies;

namespace Ipg.Simulation.Guidance;

/// <summary>
/// The oracle bound: sees the simulator's true embeddings, bias and boredom and recommends the items
/// with the largest <b>expected one-round increase</b> of the true preference for the target,
/// P(click u, i) · [pref(u, j | click on i) − pref(u, j)] (see
/// <see cref="TopicSimulator.TargetGainsIfClicked"/>), skipping excluded items.
/// </summary>
/// <remarks>
/// Greedy over one round, so a strong reference rather than a proof of optimality over 20 rounds.
/// It ignores the encoder's representations entirely. Must be bound to the run's simulator
/// (<see cref="BindTo"/>); <see cref="GuidanceRunner"/> does that. Click probabilities use
/// <see cref="Math.Exp"/> (fast; the choice is deterministic on one machine).
/// Ties go to the lowest item id. Thread-safe once bound.
/// </remarks>
public sealed class OraclePolicy : ISimulatorBoundPolicy
{
    private readonly TopicSimulator? _simulator;

    /// <summary>Creates an unbound oracle (bind it with <see cref="BindTo"/>, or let the runner do it).</summary>
    public OraclePolicy()
    {
    }

    private OraclePolicy(TopicSimulator simulator) => _simulator = simulator;

    /// <inheritdoc />
    public string Name => "Oracle";

    /// <inheritdoc />
    public bool UsesUserEmbeddings => false;

    /// <inheritdoc />
    public IRecommendationPolicy BindTo(TopicSimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        return new OraclePolicy(simulator);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The oracle is not bound to a simulator.</exception>
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var sim = _simulator ?? throw new InvalidOperationException("OraclePolicy must be bound to a simulator (BindTo) before use.");
        var users = context.UserCount;
        var k = context.SlateSize;
        var items = sim.ItemCount;
        if (users != sim.UserCount || context.Encoder.ItemCount != items)
        {
            throw new ArgumentException($"The context ({users} users, {context.Encoder.ItemCount} items) does not match the simulator ({sim.UserCount}, {items}).", nameof(context));
        }

        if (slates.Length < (long)users * k)
        {
            throw new ArgumentException($"Need {users} users × {k} slate entries, got {slates.Length}.", nameof(slates));
        }

        var target = context.Target.ItemId;
        var mask = context.Exclusions;
        var options = sim.Options;
        Parallel.For(
            0,
            users,
            new ParallelOptions { CancellationToken = cancellationToken },
            () => (Gains: new double[items], Prefs: new double[items], Order: new int[k]),
            (u, _, buffers) =>
            {
                sim.TargetGainsIfClicked(u, target, buffers.Gains);
                sim.Preferences(u, buffers.Prefs);
                for (var i = 0; i < items; i++)
                {
                    var p = 1.0 / (1.0 + Math.Exp(-(buffers.Prefs[i] - options.Offset) * options.Slope));
                    buffers.Gains[i] *= p;
                }

                // The one top-K, in double precision: highest expected gain first, ties to the lowest id, NaN and
                // excluded items skipped.
                var slate = slates.Span.Slice(u * k, k);
                slate.Clear();
                int written = TopKSelector.Select<double>(buffers.Gains, ReadOnlySpan<int>.Empty, mask is null ? default : mask.Row(u), buffers.Order);
                for (var s = 0; s < written; s++)
                {
                    slate[s] = buffers.Order[s] + 1;
                }

                return buffers;
            },
            _ => { });
    }
}
