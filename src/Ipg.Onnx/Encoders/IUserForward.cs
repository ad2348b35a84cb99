namespace Ipg.Encoders;

/// <summary>
/// A SASRec forward pass behind <see cref="OnnxSasRecEncoder"/>: ONNX Runtime (<see cref="Onnx.OnnxRuntimeForward"/>) or the
/// managed kernel (<see cref="Managed.ManagedSasRecKernel"/>). It sees validated histories only; the encoder owns argument
/// checks, telemetry, chunking (<see cref="BatchChunker"/>) and lifetime, and disposes the pass after the last call.
/// </summary>
internal interface IUserForward : IDisposable
{
    /// <summary>Encodes one validated history into the first d values of <paramref name="destination"/>.</summary>
    void Encode(ReadOnlySpan<int> history, Span<float> destination);

    /// <summary>Encodes rows <c>[start, start + rows)</c> of a validated batch into <paramref name="destination"/> (rows × d values).</summary>
    void EncodeChunk(IReadOnlyList<ReadOnlyMemory<int>> histories, int start, int rows, Span<float> destination, CancellationToken cancellationToken);
}
