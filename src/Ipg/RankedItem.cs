namespace Ipg;

/// <summary>One entry of a re-ranked list, with the quantities that explain its place.</summary>
/// <param name="ItemId">The item id (1..N).</param>
/// <param name="Probability">p̂: the base recommender's interaction probability.</param>
/// <param name="Guidance">g: the guiding score towards the target, written by the guidance model (<see cref="IpgOptions.Guidance"/>); 0 at strength 0.</param>
/// <param name="Score">r = p̂·g, the IPG score (the ranking key under <see cref="NegativeGuidancePolicy.Raw"/>).</param>
public readonly record struct RankedItem(int ItemId, float Probability, float Guidance, float Score);
