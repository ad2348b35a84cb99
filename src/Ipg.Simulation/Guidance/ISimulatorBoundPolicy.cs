using Ipg.Policies;

namespace Ipg.Simulation.Guidance;

/// <summary>
/// A policy that reads the simulator's ground truth (an oracle). The guidance runner binds it to
/// the simulator of each run before the first round.
/// </summary>
public interface ISimulatorBoundPolicy : IRecommendationPolicy
{
    /// <summary>Returns a policy that reads <paramref name="simulator"/> (the live state of one run).</summary>
    /// <param name="simulator">The simulator the run steps.</param>
    /// <returns>The bound policy.</returns>
    IRecommendationPolicy BindTo(TopicSimulator simulator);
}
