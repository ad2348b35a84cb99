namespace Ipg.Simulation;

/// <summary>One click of a user on an item, with <b>zero-based</b> indices (the log file is 1-based).</summary>
/// <param name="User">Zero-based user index.</param>
/// <param name="Item">Zero-based item index.</param>
public readonly record struct Interaction(int User, int Item);
