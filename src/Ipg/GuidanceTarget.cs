using System.Numerics.Tensors;

namespace Ipg;

/// <summary>
/// A target prepared for guidance: a direction t in the item space and the per-item quantities that depend
/// only on it and the catalogue (<c>t·ê_i</c>, and the cosine terms on first use), computed once and reused
/// for every user and round. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// <para><b>Kinds.</b> One item j (t = ê_j, the paper); a <b>campaign</b> of items j₁..jₙ with positive weights
/// w (t = Σ w_k·ê_jk); or any <b>vector</b> v of the item space (t = v, e.g. a category centroid).</para>
/// <para><b>How guidance models combine campaign items.</b> The dot-product forms (linear, affine, exact) are
/// linear in t, so a campaign's guiding score is exactly the weighted sum of its items' scores:
/// <c>g(campaign) = Σ w_k·g(j_k)</c>. The cosine form is not linear in t; for a campaign it is defined as the
/// same weighted sum of per-item cosine gains, <c>Σ w_k·[cos(ê_i, ê_jk) − cos(ê_u, ê_jk)]</c>, rather than the
/// cosine with the weighted centroid, so that every member counts by its weight whatever its norm (with the
/// centroid, members with large embeddings would dominate its direction — the effect the cosine form exists to
/// remove). It still costs one lookup per candidate: <c>Σ w_k·cos(ê_i, ê_jk) = ê_i·C / ‖ê_i‖</c> with
/// <c>C = Σ w_k·ê_jk/‖ê_jk‖</c>. A vector target uses the plain cosine with the vector.</para>
/// <para>Scaling every campaign weight by the same positive factor scales every g by it and changes no ranking.</para>
/// </remarks>
public sealed class GuidanceTarget
{
    private readonly float[] _direction;
    private readonly float[] _cosineDirection;
    private readonly float _cosineScale;
    private readonly float[] _dots;
    private readonly WeightedItem[] _components;
    private float[]? _cosines;
    private int[]? _dotExtremes;
    private int[]? _cosineExtremes;
    private string? _description;

    private GuidanceTarget(ItemEmbeddingTable items, TargetKind kind, int itemId, WeightedItem[] components, float[] direction, float norm, float[] cosineDirection, float cosineScale)
    {
        Items = items;
        Kind = kind;
        ItemId = itemId;
        _components = components;
        _direction = direction;
        Norm = norm;
        _cosineDirection = cosineDirection;
        _cosineScale = cosineScale;

        int n = items.ItemCount;
        _dots = new float[n + 1];
        for (int i = 1; i <= n; i++)
        {
            _dots[i] = TensorPrimitives.Dot(direction, items.RowUnchecked(i));
        }
    }

    /// <summary>Prepares target item <paramref name="targetItemId"/> over <paramref name="items"/>. Cost: one pass over the table (N·d).</summary>
    /// <param name="items">The item table the target and candidates come from.</param>
    /// <param name="targetItemId">The target's id in <c>1..N</c>.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetItemId"/> is outside <c>1..N</c>.</exception>
    public static GuidanceTarget Create(ItemEmbeddingTable items, int targetItemId)
    {
        ArgumentNullException.ThrowIfNull(items);
        CheckId(items, targetItemId, nameof(targetItemId));
        var row = items.RowUnchecked(targetItemId).ToArray();
        float norm = items.Norms[targetItemId];
        return new GuidanceTarget(items, TargetKind.Item, targetItemId, [new WeightedItem(targetItemId, 1f)], row, norm, row, norm);
    }

    /// <summary>
    /// Prepares a campaign: several items promoted together, each with a positive weight (see the remarks for
    /// how each guidance model combines them). A campaign of one item with weight 1 ranks exactly as
    /// <see cref="Create(ItemEmbeddingTable, int)"/>. Cost: one pass over the table.
    /// </summary>
    /// <param name="items">The item table.</param>
    /// <param name="members">At least one item; ids in <c>1..N</c>, no id twice, weights finite and positive.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="members"/> is empty, repeats an id, or has a weight that is not finite and positive.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>1..N</c>.</exception>
    public static GuidanceTarget CreateCampaign(ItemEmbeddingTable items, ReadOnlySpan<WeightedItem> members)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (members.IsEmpty)
        {
            throw new ArgumentException("A campaign needs at least one item.", nameof(members));
        }

        var seen = new HashSet<int>();
        int d = items.Dimension;
        var direction = new float[d];
        var cosineDirection = new float[d];
        for (int k = 0; k < members.Length; k++)
        {
            var (id, weight) = members[k];
            CheckId(items, id, nameof(members));
            if (!float.IsFinite(weight) || weight <= 0f)
            {
                throw new ArgumentException($"Member {k} (item {id}) has weight {weight}; campaign weights must be finite and positive.", nameof(members));
            }

            if (!seen.Add(id))
            {
                throw new ArgumentException($"Item {id} appears more than once in the campaign; give it one weight.", nameof(members));
            }

            var row = items.RowUnchecked(id);
            TensorPrimitives.MultiplyAdd(row, weight, direction, direction);
            float norm = items.Norms[id];
            if (norm > 0f)
            {
                // A zero-norm item has cosine 0 with everything, so it adds nothing to the cosine terms.
                TensorPrimitives.MultiplyAdd(row, weight / norm, cosineDirection, cosineDirection);
            }
        }

        return new GuidanceTarget(items, TargetKind.Campaign, 0, members.ToArray(), direction, TensorPrimitives.Norm(direction), cosineDirection, 1f);
    }

    /// <summary>Prepares a campaign from parallel id and weight lists (see <see cref="CreateCampaign(ItemEmbeddingTable, ReadOnlySpan{WeightedItem})"/>).</summary>
    /// <param name="items">The item table.</param>
    /// <param name="itemIds">Ids in <c>1..N</c>, no id twice.</param>
    /// <param name="weights">One finite, positive weight per id; empty means weight 1 for every id.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    /// <exception cref="ArgumentException">The lists differ in length, or a member is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>1..N</c>.</exception>
    public static GuidanceTarget CreateCampaign(ItemEmbeddingTable items, ReadOnlySpan<int> itemIds, ReadOnlySpan<float> weights = default)
    {
        if (!weights.IsEmpty && weights.Length != itemIds.Length)
        {
            throw new ArgumentException($"Got {itemIds.Length} ids but {weights.Length} weights; give one weight per id, or none for equal weights.", nameof(weights));
        }

        var members = new WeightedItem[itemIds.Length];
        for (int k = 0; k < members.Length; k++)
        {
            members[k] = new WeightedItem(itemIds[k], weights.IsEmpty ? 1f : weights[k]);
        }

        return CreateCampaign(items, members);
    }

    /// <summary>Prepares a target that is any direction of the item space (e.g. the centroid of a category's items).</summary>
    /// <param name="items">The item table.</param>
    /// <param name="vector">d finite values, not all zero.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    /// <exception cref="ArgumentException">Wrong length, a non-finite component, or the zero vector.</exception>
    public static GuidanceTarget CreateFromVector(ItemEmbeddingTable items, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(items);
        Scoring.ValidateVector(vector, items.Dimension, nameof(vector));
        float norm = TensorPrimitives.Norm(vector);
        if (!(norm > 0f))
        {
            throw new ArgumentException("The target vector is zero: it points nowhere, so nothing can be guided towards it.", nameof(vector));
        }

        var copy = vector.ToArray();
        return new GuidanceTarget(items, TargetKind.Vector, 0, [], copy, norm, copy, norm);
    }

    /// <summary>The table this target was prepared over.</summary>
    public ItemEmbeddingTable Items { get; }

    /// <summary>Whether this is one item, a campaign or a vector.</summary>
    public TargetKind Kind { get; }

    /// <summary>The target item id j of an <see cref="TargetKind.Item"/> target; 0 for campaigns and vectors.</summary>
    public int ItemId { get; }

    /// <summary>The members: the one item (weight 1), the campaign's items as given, or none for a vector.</summary>
    public IReadOnlyList<WeightedItem> Components => _components;

    /// <summary>The direction t: ê_j for an item, <c>Σ w_k·ê_jk</c> for a campaign, the vector itself.</summary>
    public ReadOnlySpan<float> Embedding => _direction;

    /// <summary>‖t‖.</summary>
    public float Norm { get; }

    /// <summary><c>t·ê_i</c> for ids <c>0..N</c> (index = item id; index 0 is 0).</summary>
    public ReadOnlySpan<float> TargetDots => _dots;

    /// <summary>
    /// The cosine term of every item for ids <c>0..N</c> (index = item id; 0 where a norm is 0): <c>cos(ê_i, ê_j)</c>
    /// for an item, <c>Σ w_k·cos(ê_i, ê_jk)</c> for a campaign, <c>cos(ê_i, v)</c> for a vector. Computed on first
    /// use (one pass over the table), then kept.
    /// </summary>
    public ReadOnlySpan<float> TargetCosines => _cosines ?? LazyInitializer.EnsureInitialized(ref _cosines, ComputeCosines);

    /// <summary>A short description for logs and results: "item 2277", "campaign of 3 items", "vector".</summary>
    public string Description => _description ??= Kind switch
    {
        TargetKind.Item => $"item {ItemId}",
        TargetKind.Campaign => $"campaign of {_components.Length} items",
        _ => "vector",
    };

    /// <summary><c>v·t</c>, e.g. the user's current preference ê_u·t for the target under the model.</summary>
    /// <param name="vector">d values.</param>
    /// <returns>The dot product.</returns>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    public float Dot(ReadOnlySpan<float> vector)
    {
        CheckLength(vector);
        return TensorPrimitives.Dot(vector, _direction);
    }

    /// <summary>
    /// The cosine term of <paramref name="vector"/>: <c>cos(v, ê_j)</c> for an item, <c>Σ w_k·cos(v, ê_jk)</c> for a
    /// campaign, <c>cos(v, t)</c> for a vector target; 0 when v is zero.
    /// </summary>
    /// <param name="vector">d values.</param>
    /// <returns>The cosine term.</returns>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    public float Cosine(ReadOnlySpan<float> vector)
    {
        CheckLength(vector);
        return CosineCore(TensorPrimitives.Dot(vector, _cosineDirection), TensorPrimitives.Norm(vector));
    }

    /// <summary>The cosine term from <c>v·C</c> and ‖v‖ (for an item target, <c>v·C</c> is <see cref="Dot"/>: C = t).</summary>
    internal float CosineCore(float dotWithCosineDirection, float vectorNorm)
    {
        float denominator = vectorNorm * _cosineScale;
        return denominator > 0f ? dotWithCosineDirection / denominator : 0f;
    }

    /// <summary>The per-item term a <see cref="Guidance.ITermGuidance"/> model reads (index = item id).</summary>
    internal ReadOnlySpan<float> Term(Guidance.TargetTerm term) => term == Guidance.TargetTerm.Dots ? TargetDots : TargetCosines;

    /// <summary>The ids of the least and the greatest value of <see cref="Term"/> over items 1..N (the lower id on ties); computed on first use.</summary>
    internal (int MinId, int MaxId) TermExtremes(Guidance.TargetTerm term)
    {
        var extremes = term == Guidance.TargetTerm.Dots
            ? _dotExtremes ?? LazyInitializer.EnsureInitialized(ref _dotExtremes, ComputeDotExtremes)
            : _cosineExtremes ?? LazyInitializer.EnsureInitialized(ref _cosineExtremes, ComputeCosineExtremes);
        return (extremes[0], extremes[1]);
    }

    /// <summary>True when <see cref="CosineCore"/> takes <see cref="Dot"/> as its first argument (C = t).</summary>
    internal bool CosineDirectionIsDirection => ReferenceEquals(_cosineDirection, _direction);

    internal ReadOnlySpan<float> CosineDirection => _cosineDirection;

    /// <summary>Throws unless this target was prepared over <paramref name="items"/>.</summary>
    internal void EnsureSameTable(ItemEmbeddingTable items, string paramName)
    {
        if (!ReferenceEquals(items, Items))
        {
            throw new ArgumentException(
                $"Target {Description} was prepared over a different item table (N = {Items.ItemCount}, d = {Items.Dimension}) than the encoder's (N = {items.ItemCount}, d = {items.Dimension}); prepare it from the encoder's ItemEmbeddings.",
                paramName);
        }
    }

    private int[] ComputeDotExtremes() => Extremes(TargetDots);

    private int[] ComputeCosineExtremes() => Extremes(TargetCosines);

    private static int[] Extremes(ReadOnlySpan<float> perItem)
    {
        Scoring.TermExtremes(perItem, default, out int min, out int max);
        return [min, max];
    }

    private float[] ComputeCosines()
    {
        int n = Items.ItemCount;
        var norms = Items.Norms;
        var cosines = new float[n + 1];
        bool sameDirection = CosineDirectionIsDirection;
        for (int i = 1; i <= n; i++)
        {
            // For an item target C = ê_j and the scale is ‖ê_j‖: dot / (‖ê_i‖·‖ê_j‖), as the authors' code.
            float dot = sameDirection ? _dots[i] : TensorPrimitives.Dot(_cosineDirection, Items.RowUnchecked(i));
            float denominator = norms[i] * _cosineScale;
            cosines[i] = denominator > 0f ? dot / denominator : 0f;
        }

        return cosines;
    }

    private void CheckLength(ReadOnlySpan<float> vector)
    {
        if (vector.Length != _direction.Length)
        {
            throw new ArgumentException($"Expected a vector of the table's dimension {_direction.Length}, got length {vector.Length}.", nameof(vector));
        }
    }

    private static void CheckId(ItemEmbeddingTable items, int id, string paramName)
    {
        if ((uint)(id - 1) >= (uint)items.ItemCount)
        {
            throw new ArgumentOutOfRangeException(paramName, id, $"A target item must be a real item id in 1..{items.ItemCount} (0 is padding).");
        }
    }
}
