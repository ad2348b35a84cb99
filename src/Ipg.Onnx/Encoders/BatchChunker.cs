using System.Buffers;

namespace Ipg.Encoders;

/// <summary>Encodes rows <c>[start, start + rows)</c> of a validated batch into <paramref name="destination"/> (rows × d values).</summary>
/// <typeparam name="TState">What the forward pass needs (the pass itself, passed explicitly so the delegate can be static).</typeparam>
internal delegate void ChunkEncoder<TState>(TState state, IReadOnlyList<ReadOnlyMemory<int>> histories, int start, int rows, Span<float> destination, CancellationToken cancellationToken);

/// <summary>
/// The one batch chunker of both forward passes (ONNX Runtime and the managed kernel): a batch of validated histories
/// runs in chunks of at most <see cref="OnnxSasRecEncoderOptions.MaxBatchSize"/> users, cancellation is checked
/// before every chunk, and with <see cref="OnnxSasRecEncoderOptions.BatchParallelism"/> &gt; 1 up to that many chunks
/// run at a time (each into its own slice of a pooled buffer, copied out at the end). The sequential path allocates
/// nothing (pass a static lambda).
/// </summary>
internal static class BatchChunker
{
    /// <summary>The chunk size for <paramref name="count"/> users: at most <paramref name="maxBatchSize"/>, and small enough that a chunk's ids and outputs fit in one array.</summary>
    public static int ChunkSize(int count, int maxBatchSize, int length, int dimension) =>
        Math.Max(1, Math.Min(Math.Min(count, maxBatchSize), Array.MaxLength / Math.Max(Math.Max(length, dimension), 1)));

    /// <summary>Encodes every history of <paramref name="histories"/> into <paramref name="destination"/> (count × d values), chunk by chunk.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the chunks already finished are written.</exception>
    public static void Encode<TState>(
        TState state,
        ChunkEncoder<TState> encodeChunk,
        IReadOnlyList<ReadOnlyMemory<int>> histories,
        Span<float> destination,
        int dimension,
        int chunk,
        int parallelism,
        CancellationToken cancellationToken)
    {
        int count = histories.Count;
        if (parallelism > 1 && count > chunk)
        {
            // In its own method: the lambda's closure would otherwise be allocated on every call, the sequential ones
            // included (the exact look-ahead's batches of M are sequential and allocation-free).
            EncodeInParallel(state, encodeChunk, histories, destination, dimension, chunk, parallelism, cancellationToken);
            return;
        }

        for (int start = 0; start < count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(chunk, count - start);
            encodeChunk(state, histories, start, rows, destination.Slice(start * dimension, rows * dimension), cancellationToken);
        }
    }

    private static void EncodeInParallel<TState>(
        TState state,
        ChunkEncoder<TState> encodeChunk,
        IReadOnlyList<ReadOnlyMemory<int>> histories,
        Span<float> destination,
        int dimension,
        int chunk,
        int parallelism,
        CancellationToken cancellationToken)
    {
        int count = histories.Count;
        int chunks = (count + chunk - 1) / chunk;
        float[] all = ArrayPool<float>.Shared.Rent(count * dimension);
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
            Parallel.For(0, chunks, parallel, c =>
            {
                int start = c * chunk;
                int rows = Math.Min(chunk, count - start);
                encodeChunk(state, histories, start, rows, all.AsSpan(start * dimension, rows * dimension), cancellationToken);
            });
            all.AsSpan(0, count * dimension).CopyTo(destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(all);
        }
    }
}
