namespace Ipg.Tests.Shared;

/// <summary>
/// A test encoder that forwards everything to an inner encoder; tests derive from it and override only the
/// member they change (count calls, inject NaN, record disposal). Shared as a linked file by the test projects.
/// </summary>
internal abstract class DelegatingEncoder(ISequentialEncoder inner) : ISequentialEncoder
{
    protected ISequentialEncoder Inner { get; } = inner;

    public int ItemCount => Inner.ItemCount;

    public int Dimension => Inner.Dimension;

    public int MaxHistoryLength => Inner.MaxHistoryLength;

    public ItemEmbeddingTable ItemEmbeddings => Inner.ItemEmbeddings;

    public virtual void Encode(ReadOnlySpan<int> history, Span<float> destination) => Inner.Encode(history, destination);

    public virtual void EncodeBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, Span<float> destination, CancellationToken cancellationToken = default)
        => Inner.EncodeBatch(histories, destination, cancellationToken);

    public virtual void ComputeProbabilities(ReadOnlySpan<float> logits, Span<float> destination)
        => Inner.ComputeProbabilities(logits, destination);
}
