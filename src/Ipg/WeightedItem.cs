namespace Ipg;

/// <summary>One member of a campaign target: an item id and its weight.</summary>
/// <param name="ItemId">The item id in <c>1..N</c>.</param>
/// <param name="Weight">Its weight: finite and positive. Scaling every weight of a campaign by the same factor does not change any ranking.</param>
public readonly record struct WeightedItem(int ItemId, float Weight);
