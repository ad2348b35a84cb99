using System.Buffers;
using Ipg.Guidance;

namespace Ipg.Simulation.Guidance;

/// <summary>
/// A guidance model that reads the simulator's truth (an oracle, a bound — never a deployable policy): g is the
/// true one-round gain of preference for the target if the user clicked i, pref(u, j | click on i) − pref(u, j)
/// (<see cref="TopicSimulator.TargetGainsIfClicked"/>), instead of an encoder-based guess. Plugged into the
/// re-ranker like any model, so p̂, the product, the negative-guidance policy and the top-K are the re-ranker's.
/// </summary>
/// <remarks>
/// Needs the user's index in the simulator, so it works in policy calls (<see cref="GuidanceContext.UserIndex"/> =
/// simulator user; item ids are shared) and only for single-item targets. Thread-safe.
/// </remarks>
public sealed class OracleLookAheadGuidance : IGuidanceModel
{
    private readonly TopicSimulator _simulator;

    /// <summary>Creates the model over the live state of one run.</summary>
    /// <param name="simulator">The simulator the run steps.</param>
    /// <exception cref="ArgumentNullException"><paramref name="simulator"/> is null.</exception>
    public OracleLookAheadGuidance(TopicSimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        _simulator = simulator;
    }

    /// <inheritdoc />
    public string Name => "oracle-look-ahead (simulator truth; a bound)";

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The call has no user index, or the target is not a single item.</exception>
    public void ComputeGuidance(in GuidanceContext context, Span<float> guidance)
    {
        int user = context.UserIndex;
        if (user < 0 || user >= _simulator.UserCount)
        {
            throw new InvalidOperationException($"The oracle look-ahead needs the simulator's user index (got {user}); use it through a policy call.");
        }

        if (context.Target.Kind != TargetKind.Item)
        {
            throw new InvalidOperationException($"The oracle look-ahead guides towards one item, not a {context.Target.Description}.");
        }

        int n = _simulator.ItemCount;
        var gains = ArrayPool<double>.Shared.Rent(n);
        try
        {
            _simulator.TargetGainsIfClicked(user, context.Target.ItemId, gains);
            for (int p = 0; p < guidance.Length; p++)
            {
                guidance[p] = (float)gains[context.ItemIdAt(p) - 1];
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(gains);
        }
    }
}
