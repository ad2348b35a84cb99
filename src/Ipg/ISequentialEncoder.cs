using System.Numerics.Tensors;

namespace Ipg;

/// <summary>
/// The plug point of Ipg: a sequential recommender that turns item-id histories into user
/// representations and exposes the item embedding table used for scoring.
/// </summary>
/// <remarks>
/// <para><b>Id convention.</b> Items are identified by <c>1..<see cref="ItemCount"/></c>; id <c>0</c>
/// is the padding id (SASRec's convention) and never a real item. Histories are given oldest first;
/// an encoder with a bounded context keeps the <see cref="MaxHistoryLength"/> most recent items.</para>
/// <para><b>Scoring.</b> The logit of item <c>i</c> for a user is <c>ê_u · ê_i</c> with
/// <c>ê_i</c> = row <c>i</c> of <see cref="ItemEmbeddings"/> (SASRec ties input and output
/// embeddings), plus the item's bias <c>b_i</c> when the table has biases
/// (<see cref="ItemEmbeddingTable.HasBiases"/>). <see cref="ComputeProbabilities"/> maps one user's logits to
/// interaction probabilities p̂; the default is the element-wise sigmoid, as SASRec is trained (per item, not a
/// softmax). An encoder trained with a softmax over the catalogue normalises over the logits it is given.</para>
/// <para><b>Threading.</b> Implementations must be safe for concurrent calls from many threads.</para>
/// </remarks>
public interface ISequentialEncoder
{
    /// <summary>Number of real items N; valid ids are <c>1..N</c>, <c>0</c> is padding.</summary>
    int ItemCount { get; }

    /// <summary>Dimension d of user and item representations.</summary>
    int Dimension { get; }

    /// <summary>
    /// The longest history the encoder reads; longer histories are truncated to their most recent
    /// items. <see cref="int.MaxValue"/> when unbounded.
    /// </summary>
    int MaxHistoryLength { get; }

    /// <summary>The item embedding table (ids <c>0..N</c>, row 0 = padding) used for scoring.</summary>
    ItemEmbeddingTable ItemEmbeddings { get; }

    /// <summary>Encodes one history (oldest first) into a user representation.</summary>
    /// <param name="history">Item ids in <c>1..N</c>, oldest first; may be empty.</param>
    /// <param name="destination">Receives the d-dimensional user representation.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>1..N</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than d.</exception>
    void Encode(ReadOnlySpan<int> history, Span<float> destination);

    /// <summary>Encodes many histories in one call (the efficient path for many users).</summary>
    /// <param name="histories">One history per user, oldest first; each may be empty.</param>
    /// <param name="destination">Receives <c>histories.Count × d</c> floats, row-major, one row per user.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <exception cref="ArgumentNullException"><paramref name="histories"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>1..N</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    void EncodeBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, Span<float> destination, CancellationToken cancellationToken = default);

    /// <summary>
    /// Maps one user's logits (over the catalogue or a candidate list) to interaction probabilities p̂. The default is the
    /// element-wise sigmoid, matching SASRec's binary cross-entropy training; an encoder may override it (the ONNX encoder
    /// uses a softmax over the given logits for a model trained with one).
    /// </summary>
    /// <param name="logits">One user's logits.</param>
    /// <param name="destination">Receives one probability per logit; may be the same span as <paramref name="logits"/>.</param>
    void ComputeProbabilities(ReadOnlySpan<float> logits, Span<float> destination)
        => TensorPrimitives.Sigmoid(logits, destination);
}
