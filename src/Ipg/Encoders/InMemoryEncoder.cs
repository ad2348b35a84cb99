using System.Numerics.Tensors;

namespace Ipg.Encoders;

/// <summary>
/// Computes a user representation from a history into a d-long destination (for <see cref="InMemoryEncoder"/>).
/// </summary>
/// <param name="history">Validated item ids, oldest first, already truncated to the encoder's maximum length.</param>
/// <param name="items">The item table.</param>
/// <param name="destination">Receives the representation (d values).</param>
public delegate void HistoryRepresentation(ReadOnlySpan<int> history, ItemEmbeddingTable items, Span<float> destination);

/// <summary>
/// An <see cref="ISequentialEncoder"/> over a given item embedding table, for tests and for services
/// whose user embeddings come from elsewhere. By default a user is the mean of the embeddings of the
/// (most recent <see cref="MaxHistoryLength"/>) items in the history; an empty history is the zero vector.
/// A caller-supplied <see cref="HistoryRepresentation"/> replaces the mean. Thread-safe.
/// </summary>
public sealed class InMemoryEncoder : ISequentialEncoder
{
    private readonly HistoryRepresentation _represent;

    /// <summary>Creates the encoder.</summary>
    /// <param name="items">The item table.</param>
    /// <param name="maxHistoryLength">The most recent items read (≥ 1); unbounded by default.</param>
    /// <param name="representation">How a history becomes a user vector; the mean of its items when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHistoryLength"/> is below 1.</exception>
    public InMemoryEncoder(ItemEmbeddingTable items, int maxHistoryLength = int.MaxValue, HistoryRepresentation? representation = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHistoryLength, 1);
        ItemEmbeddings = items;
        MaxHistoryLength = maxHistoryLength;
        _represent = representation ?? Mean;
    }

    /// <inheritdoc />
    public int ItemCount => ItemEmbeddings.ItemCount;

    /// <inheritdoc />
    public int Dimension => ItemEmbeddings.Dimension;

    /// <inheritdoc />
    public int MaxHistoryLength { get; }

    /// <inheritdoc />
    public ItemEmbeddingTable ItemEmbeddings { get; }

    /// <inheritdoc />
    public void Encode(ReadOnlySpan<int> history, Span<float> destination)
    {
        if (destination.Length < Dimension)
        {
            throw new ArgumentException($"The destination needs {Dimension} values, got {destination.Length}.", nameof(destination));
        }

        ItemEmbeddings.ValidateItemIds(history, nameof(history));
        if (history.Length > MaxHistoryLength)
        {
            history = history[^MaxHistoryLength..];
        }

        _represent(history, ItemEmbeddings, destination[..Dimension]);
    }

    /// <inheritdoc />
    public void EncodeBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, Span<float> destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(histories);
        int d = Dimension;
        if (destination.Length < (long)histories.Count * d)
        {
            throw new ArgumentException($"The destination needs {histories.Count} × {d} values, got {destination.Length}.", nameof(destination));
        }

        for (int u = 0; u < histories.Count; u++)
        {
            if ((u & 255) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            Encode(histories[u].Span, destination.Slice(u * d, d));
        }
    }

    private static void Mean(ReadOnlySpan<int> history, ItemEmbeddingTable items, Span<float> destination)
    {
        destination.Clear();
        if (history.IsEmpty)
        {
            return;
        }

        foreach (int id in history)
        {
            TensorPrimitives.Add(destination, items.RowUnchecked(id), destination);
        }

        TensorPrimitives.Divide(destination, history.Length, destination);
    }
}
