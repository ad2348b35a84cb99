namespace Ipg.Simulation;

/// <summary>
/// One item shown to a user in one round of a log collection, clicked or not: what a real service logs as an
/// impression. Calibrating the acceptance estimate p̂ (<see cref="Ipg.AcceptanceCalibration"/>) needs the items that
/// were shown and not clicked, which a click log does not have.
/// </summary>
/// <param name="User">Zero-based user index.</param>
/// <param name="Item">The item id shown, in <c>1..N</c>.</param>
/// <param name="Round">Zero-based round of the collection.</param>
/// <param name="Clicked">Whether the user clicked it (then it is also in the click log, at the same place in time order).</param>
public readonly record struct Impression(int User, int Item, int Round, bool Clicked);
