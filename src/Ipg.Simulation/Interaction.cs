namespace Ipg.Simulation;

/// <summary>One click of a user on an item: a zero-based user index and an item id (the log file writes both 1-based).</summary>
/// <param name="User">Zero-based user index.</param>
/// <param name="Item">The item id in <c>1..N</c> (the one item-id convention of every Ipg package; 0 is padding).</param>
public readonly record struct Interaction(int User, int Item);
