using System.Numerics.Tensors;

namespace Ipg;

/// <summary>
/// A target item prepared for guidance: the per-item quantities that depend only on the target and the
/// catalogue (<c>ê_j·ê_i</c> and <c>cos(ê_i, ê_j)</c> for every item i), computed once and reused for
/// every user and round. Immutable and thread-safe.
/// </summary>
public sealed class GuidanceTarget
{
    private readonly float[] _dots;
    private readonly float[] _cosines;

    private GuidanceTarget(ItemEmbeddingTable items, int itemId, float[] dots, float[] cosines, float norm)
    {
        Items = items;
        ItemId = itemId;
        _dots = dots;
        _cosines = cosines;
        Norm = norm;
    }

    /// <summary>Prepares target <paramref name="targetItemId"/> over <paramref name="items"/>. Cost: one pass over the table (N·d).</summary>
    /// <param name="items">The item table the target and candidates come from.</param>
    /// <param name="targetItemId">The target's id in <c>1..N</c>.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetItemId"/> is outside <c>1..N</c>.</exception>
    public static GuidanceTarget Create(ItemEmbeddingTable items, int targetItemId)
    {
        ArgumentNullException.ThrowIfNull(items);
        if ((uint)(targetItemId - 1) >= (uint)items.ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(targetItemId), targetItemId, $"The target must be a real item id in 1..{items.ItemCount} (0 is padding).");
        }

        int n = items.ItemCount;
        var target = items.RowUnchecked(targetItemId);
        var norms = items.Norms;
        float targetNorm = norms[targetItemId];
        var dots = new float[n + 1];
        var cosines = new float[n + 1];
        for (int i = 1; i <= n; i++)
        {
            float dot = TensorPrimitives.Dot(target, items.RowUnchecked(i));
            dots[i] = dot;
            float denominator = norms[i] * targetNorm;
            cosines[i] = denominator > 0f ? dot / denominator : 0f;
        }

        return new GuidanceTarget(items, targetItemId, dots, cosines, targetNorm);
    }

    /// <summary>The table this target was prepared over.</summary>
    public ItemEmbeddingTable Items { get; }

    /// <summary>The target item id j.</summary>
    public int ItemId { get; }

    /// <summary>The target's embedding ê_j.</summary>
    public ReadOnlySpan<float> Embedding => Items.RowUnchecked(ItemId);

    /// <summary>‖ê_j‖.</summary>
    public float Norm { get; }

    /// <summary><c>ê_j·ê_i</c> for ids <c>0..N</c> (index = item id; index 0 is 0).</summary>
    public ReadOnlySpan<float> TargetDots => _dots;

    /// <summary><c>cos(ê_i, ê_j)</c> for ids <c>0..N</c> (index = item id; 0 where a norm is 0).</summary>
    public ReadOnlySpan<float> TargetCosines => _cosines;

    /// <summary>Throws unless this target was prepared over <paramref name="items"/>.</summary>
    internal void EnsureSameTable(ItemEmbeddingTable items, string paramName)
    {
        if (!ReferenceEquals(items, Items))
        {
            throw new ArgumentException(
                $"Target {ItemId} was prepared over a different item table (N = {Items.ItemCount}, d = {Items.Dimension}) than the encoder's (N = {items.ItemCount}, d = {items.Dimension}); prepare it from the encoder's ItemEmbeddings.",
                paramName);
        }
    }
}
