using System.Numerics.Tensors;

namespace Ipg;

/// <summary>
/// An immutable item embedding table: rows for ids <c>0..N</c>, row 0 being the padding id, and optionally a
/// per-item output bias. Shared by encoders, guidance targets and policies; safe to read from many threads.
/// </summary>
/// <remarks>
/// The logit of item <c>i</c> for a user vector <c>u</c> is <c>u · ê_i</c>, plus <c>b_i</c> when the table has
/// biases (<see cref="HasBiases"/>; models such as GRU4Rec or a RecBole export with an output layer bias). The bias
/// takes part in scoring only: guiding scores use the embeddings (<c>ê_t · u</c>).
/// </remarks>
public sealed class ItemEmbeddingTable
{
    private readonly float[] _rows;
    private readonly float[]? _biases;
    private float[]? _norms;

    /// <summary>Creates a table from rows for ids <c>0..itemCount</c> (row 0 = padding), row-major.</summary>
    /// <param name="itemCount">Number of real items N (≥ 1).</param>
    /// <param name="dimension">Embedding dimension d (≥ 1).</param>
    /// <param name="rowsIncludingPadding">Exactly <c>(N + 1) × d</c> finite values; copied.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemCount"/> or <paramref name="dimension"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The length is not <c>(N + 1) × d</c>, or a value is NaN or infinite.</exception>
    public ItemEmbeddingTable(int itemCount, int dimension, ReadOnlySpan<float> rowsIncludingPadding)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(itemCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        long expected = (long)(itemCount + 1) * dimension;
        if (rowsIncludingPadding.Length != expected)
        {
            throw new ArgumentException(
                $"Expected (itemCount + 1) × dimension = {expected} values (row 0 is the padding id), got {rowsIncludingPadding.Length}.",
                nameof(rowsIncludingPadding));
        }

        int bad = IndexOfNonFinite(rowsIncludingPadding);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"Embedding value at item {bad / dimension}, component {bad % dimension} is {rowsIncludingPadding[bad]}; embeddings must be finite.",
                nameof(rowsIncludingPadding));
        }

        ItemCount = itemCount;
        Dimension = dimension;
        _rows = rowsIncludingPadding.ToArray();
    }

    /// <summary>Creates a table from rows for ids <c>0..itemCount</c> (row 0 = padding) and one output bias per id.</summary>
    /// <param name="itemCount">Number of real items N (≥ 1).</param>
    /// <param name="dimension">Embedding dimension d (≥ 1).</param>
    /// <param name="rowsIncludingPadding">Exactly <c>(N + 1) × d</c> finite values; copied.</param>
    /// <param name="biasesIncludingPadding">Exactly <c>N + 1</c> finite values (index 0 = padding, never scored); copied.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemCount"/> or <paramref name="dimension"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A length is wrong, or a value is NaN or infinite.</exception>
    public ItemEmbeddingTable(int itemCount, int dimension, ReadOnlySpan<float> rowsIncludingPadding, ReadOnlySpan<float> biasesIncludingPadding)
        : this(itemCount, dimension, rowsIncludingPadding)
    {
        if (biasesIncludingPadding.Length != itemCount + 1)
        {
            throw new ArgumentException(
                $"Expected itemCount + 1 = {itemCount + 1} biases (index 0 is the padding id), got {biasesIncludingPadding.Length}.",
                nameof(biasesIncludingPadding));
        }

        int bad = IndexOfNonFinite(biasesIncludingPadding);
        if (bad >= 0)
        {
            throw new ArgumentException($"The bias of item {bad} is {biasesIncludingPadding[bad]}; biases must be finite.", nameof(biasesIncludingPadding));
        }

        _biases = biasesIncludingPadding.ToArray();
    }

    /// <summary>
    /// Creates a table from rows for the real items <c>1..N</c> only (no padding row); the padding
    /// row is filled with zeros.
    /// </summary>
    /// <param name="itemCount">Number of real items N (≥ 1).</param>
    /// <param name="dimension">Embedding dimension d (≥ 1).</param>
    /// <param name="itemRows">Exactly <c>N × d</c> finite values, row <c>k</c> for item id <c>k + 1</c>.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemCount"/> or <paramref name="dimension"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The length is not <c>N × d</c>, or a value is NaN or infinite.</exception>
    public static ItemEmbeddingTable FromItemRows(int itemCount, int dimension, ReadOnlySpan<float> itemRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(itemCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (itemRows.Length != (long)itemCount * dimension)
        {
            throw new ArgumentException(
                $"Expected itemCount × dimension = {(long)itemCount * dimension} values, got {itemRows.Length}.", nameof(itemRows));
        }

        int bad = IndexOfNonFinite(itemRows);
        if (bad >= 0)
        {
            // Checked here so that the message names this method's parameter and the item's own id.
            throw new ArgumentException(
                $"Embedding value at item {(bad / dimension) + 1}, component {bad % dimension} is {itemRows[bad]}; embeddings must be finite.",
                nameof(itemRows));
        }

        var all = new float[(itemCount + 1) * dimension];
        itemRows.CopyTo(all.AsSpan(dimension));
        return new ItemEmbeddingTable(itemCount, dimension, all);
    }

    /// <summary>Number of real items N; valid ids are <c>1..N</c>.</summary>
    public int ItemCount { get; }

    /// <summary>Embedding dimension d.</summary>
    public int Dimension { get; }

    /// <summary>All rows, ids <c>0..N</c>, row-major (row 0 = padding).</summary>
    public ReadOnlySpan<float> Rows => _rows;

    /// <summary>The rows of the real items <c>1..N</c>, row-major (row <c>k</c> is item <c>k + 1</c>).</summary>
    public ReadOnlySpan<float> ItemRows => _rows.AsSpan(Dimension);

    /// <summary>Whether the table has per-item output biases (the logit is then <c>u · ê_i + b_i</c>).</summary>
    public bool HasBiases => _biases is not null;

    /// <summary>The output biases for ids <c>0..N</c> (index 0 = padding), or an empty span when <see cref="HasBiases"/> is false.</summary>
    public ReadOnlySpan<float> Biases => _biases;

    /// <summary>The embedding of one item.</summary>
    /// <param name="itemId">An id in <c>0..N</c> (0 returns the padding row).</param>
    /// <returns>A d-long read-only view.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemId"/> is outside <c>0..N</c>.</exception>
    public ReadOnlySpan<float> this[int itemId]
    {
        get
        {
            if ((uint)itemId > (uint)ItemCount)
            {
                throw new ArgumentOutOfRangeException(nameof(itemId), itemId, $"Item ids are 0..{ItemCount} (0 = padding).");
            }

            return _rows.AsSpan(itemId * Dimension, Dimension);
        }
    }

    /// <summary>L2 norms of rows <c>0..N</c>, computed once on first use.</summary>
    internal ReadOnlySpan<float> Norms
    {
        get
        {
            var norms = Volatile.Read(ref _norms);
            if (norms is null)
            {
                norms = new float[ItemCount + 1];
                for (int i = 0; i <= ItemCount; i++)
                {
                    norms[i] = TensorPrimitives.Norm(_rows.AsSpan(i * Dimension, Dimension));
                }

                norms = Interlocked.CompareExchange(ref _norms, norms, null) ?? norms;
            }

            return norms;
        }
    }

    /// <summary>Row <c>id</c> without a bounds check beyond the span's own (callers validated the id).</summary>
    internal ReadOnlySpan<float> RowUnchecked(int itemId) => _rows.AsSpan(itemId * Dimension, Dimension);

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="paramName"/> when an id is outside 1..N.</summary>
    internal void ValidateItemIds(ReadOnlySpan<int> ids, string paramName)
    {
        for (int k = 0; k < ids.Length; k++)
        {
            if ((uint)(ids[k] - 1) >= (uint)ItemCount)
            {
                throw new ArgumentOutOfRangeException(
                    paramName, ids[k], $"Item id at position {k} is {ids[k]}; valid ids are 1..{ItemCount} (0 is padding).");
            }
        }
    }

    internal static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
