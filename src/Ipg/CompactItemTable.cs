namespace Ipg;

/// <summary>
/// An int8 copy of an <see cref="ItemEmbeddingTable"/> for the approximate first stage of catalogue scoring
/// (<see cref="IpgOptions.CompactTable"/>): every item row is stored as d signed bytes and one fp32 scale, so a pass
/// over the catalogue reads <c>d + 4</c> bytes per item instead of <c>4·d</c>. Built once from the fp32 table, which
/// it keeps (the exact second stage and everything but the first-stage logits read it). Immutable and thread-safe.
/// </summary>
/// <remarks>
/// <para><b>Quantisation.</b> Symmetric, per row: <c>s_i = max_k |e_ik| / 127</c>, <c>q_ik = round(e_ik / s_i)</c>
/// (to even, in −127..127), so <c>e_ik ≈ s_i·q_ik</c> with an error of at most <c>s_i / 2</c> per component. The
/// approximate logit is <c>s_i·(u·q_i) + b_i</c> (the fp32 bias when the table has biases); its error is at most
/// <c>(s_i / 2)·Σ_k |u_k|</c>, and typically about <c>s_i·‖u‖ / √12</c>. A row of zeros has scale 0.</para>
/// <para><b>Memory per item.</b> <c>d + 4</c> bytes (<see cref="BytesPerItem"/>; 52 at d = 48, 132 at d = 128), in
/// addition to the fp32 table it was built from (<c>4·d</c>, plus 4 for a bias). The first stage also reads the
/// bias and one per-item guidance term of the target (4 bytes each).</para>
/// </remarks>
public sealed class CompactItemTable
{
    private readonly sbyte[] _rows;
    private readonly float[] _scales;

    /// <summary>Quantises every item row of <paramref name="items"/> (ids 1..N; the padding row is not stored).</summary>
    /// <param name="items">The fp32 table; the re-ranker's encoder must use this very instance.</param>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">N·d exceeds the largest array (2³¹ − 1 bytes).</exception>
    public CompactItemTable(ItemEmbeddingTable items)
    {
        ArgumentNullException.ThrowIfNull(items);
        long length = (long)items.ItemCount * items.Dimension;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(items), length, $"{items.ItemCount} items × {items.Dimension} dimensions do not fit one int8 array ({Array.MaxLength} bytes at most).");
        }

        Source = items;
        int n = items.ItemCount;
        int d = items.Dimension;
        _rows = new sbyte[length];
        _scales = new float[n];
        var rows = items.ItemRows;
        for (int p = 0; p < n; p++)
        {
            _scales[p] = Quantize(rows.Slice(p * d, d), _rows.AsSpan(p * d, d));
        }
    }

    /// <summary>The fp32 table this one was built from (used for the exact second stage).</summary>
    public ItemEmbeddingTable Source { get; }

    /// <summary>Number of real items N.</summary>
    public int ItemCount => Source.ItemCount;

    /// <summary>Embedding dimension d.</summary>
    public int Dimension => Source.Dimension;

    /// <summary>Bytes per item of this table: <c>d</c> int8 values and one fp32 scale (<c>d + 4</c>).</summary>
    public int BytesPerItem => Dimension + sizeof(float);

    /// <summary>Bytes of this table: <c>N·(d + 4)</c> (the fp32 table it was built from is not counted).</summary>
    public long SizeInBytes => (long)ItemCount * BytesPerItem;

    /// <summary>Items per tile of the first stage (its fp32 lanes stay in the L1/L2 cache).</summary>
    internal const int Tile = 2048;

    /// <summary>Blocks per tile for the first stage's bounds: block b of a tile holds its items b, b + 64, b + 128, ….</summary>
    internal const int TileLanes = 256;

    /// <summary>The int8 rows of items 1..N, row-major (row <c>k</c> is item <c>k + 1</c>).</summary>
    internal ReadOnlySpan<sbyte> Rows => _rows;

    /// <summary>The scale of every item 1..N (index <c>k</c> is item <c>k + 1</c>).</summary>
    internal ReadOnlySpan<float> Scales => _scales;

    /// <summary>The approximate embedding <c>s_i·q_i</c> of one item, as the first stage sees it.</summary>
    /// <param name="itemId">An id in <c>1..N</c>.</param>
    /// <param name="destination">Receives d values.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemId"/> is outside <c>1..N</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than d.</exception>
    public void Dequantize(int itemId, Span<float> destination)
    {
        if ((uint)(itemId - 1) >= (uint)ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(itemId), itemId, $"Item ids are 1..{ItemCount} (the padding row is not stored).");
        }

        int d = Dimension;
        if (destination.Length < d)
        {
            throw new ArgumentException($"The destination needs {d} values, got {destination.Length}.", nameof(destination));
        }

        var row = _rows.AsSpan((itemId - 1) * d, d);
        float scale = _scales[itemId - 1];
        for (int k = 0; k < d; k++)
        {
            destination[k] = scale * row[k];
        }
    }

    /// <summary>
    /// The first stage's approximate logits <c>s_i·(u·q_i) (+ b_i)</c> of every item: one pass over this table (and
    /// the biases, when the source table has them). <paramref name="destination"/>[p] is item p + 1.
    /// </summary>
    /// <param name="userEmbedding">ê_u, d values.</param>
    /// <param name="destination">Receives N values.</param>
    /// <exception cref="ArgumentException">The user vector is not d long, or the destination is shorter than N.</exception>
    public void ComputeApproximateLogits(ReadOnlySpan<float> userEmbedding, Span<float> destination)
    {
        if (userEmbedding.Length != Dimension)
        {
            throw new ArgumentException($"Expected a vector of the table's dimension {Dimension}, got length {userEmbedding.Length}.", nameof(userEmbedding));
        }

        if (destination.Length < ItemCount)
        {
            throw new ArgumentException($"The destination needs {ItemCount} values, got {destination.Length}.", nameof(destination));
        }

        Span<byte> buffer = stackalloc byte[DotKernels.QuantizedBufferBytes(Dimension)];
        ApproximateLogits(new QuantizedVector(userEmbedding, buffer), 0, destination[..ItemCount]);
    }

    /// <summary>The approximate logits of items <c>start + 1 .. start + destination.Length</c> (arguments checked by the caller).</summary>
    internal void ApproximateLogits(in QuantizedVector user, int start, Span<float> destination)
    {
        int d = Dimension;
        int length = destination.Length;
        DotKernels.QuantizedRowDots(user, _rows.AsSpan(start * d, length * d), _scales.AsSpan(start, length), destination);
        if (Source.HasBiases)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(destination, Source.Biases.Slice(start + 1, length), destination);
        }
    }

    /// <summary>Writes the int8 form of <paramref name="row"/> into <paramref name="destination"/>; returns its scale.</summary>
    internal static float Quantize(ReadOnlySpan<float> row, Span<sbyte> destination)
    {
        float max = 0f;
        foreach (float v in row)
        {
            max = MathF.Max(max, MathF.Abs(v));
        }

        float scale = max / 127f;
        if (scale == 0f)
        {
            // A zero row, or one so small that its scale underflows: every component is within 127 subnormals of 0.
            destination.Clear();
            return 0f;
        }

        for (int k = 0; k < row.Length; k++)
        {
            destination[k] = (sbyte)Math.Clamp(MathF.Round(row[k] / scale, MidpointRounding.ToEven), -127f, 127f);
        }

        return scale;
    }
}
