namespace Ipg.Simulation.Guidance;

/// <summary>How <see cref="IrnPolicy"/> uses its influence path.</summary>
public enum IrnPlanning
{
    /// <summary>
    /// As IRN is published: the whole path is planned once, at round 0, from the history the user had then, and
    /// round r recommends the path's item r whatever the user clicked.
    /// </summary>
    OpenLoop,

    /// <summary>
    /// Re-planned every round from the user's real history (clicks included): each round recommends the first
    /// item of a fresh path, i.e. the model's best next item towards the target.
    /// </summary>
    ClosedLoop,
}
