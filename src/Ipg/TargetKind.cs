namespace Ipg;

/// <summary>What a <see cref="GuidanceTarget"/> points at.</summary>
public enum TargetKind
{
    /// <summary>One item j: the paper's setting (<see cref="GuidanceTarget.Create(ItemEmbeddingTable, int)"/>).</summary>
    Item = 0,

    /// <summary>
    /// A campaign: several items with positive weights, promoted together
    /// (<see cref="GuidanceTarget.CreateCampaign(ItemEmbeddingTable, ReadOnlySpan{WeightedItem})"/>).
    /// </summary>
    Campaign = 1,

    /// <summary>
    /// Any direction in the item space, e.g. a category centroid
    /// (<see cref="GuidanceTarget.CreateFromVector(ItemEmbeddingTable, ReadOnlySpan{float})"/>).
    /// </summary>
    Vector = 2,
}
