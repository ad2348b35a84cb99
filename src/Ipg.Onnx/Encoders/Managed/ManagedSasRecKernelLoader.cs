using System.Globalization;

namespace Ipg.Encoders.Managed;

/// <summary>Encodes one validated history with ONNX Runtime (the reference the managed kernel is checked against).</summary>
internal delegate void ReferenceEncoder(ReadOnlySpan<int> history, Span<float> destination);

/// <summary>Builds the managed kernel from ONNX bytes and checks it against ONNX Runtime before it is used.</summary>
internal static class ManagedSasRecKernelLoader
{
    /// <summary>
    /// The load-time check's bound on max |managed − ONNX Runtime| over a user embedding, relative to the
    /// embedding's largest magnitude (at least 1). The two differ only in summation order (about 1e-6).
    /// </summary>
    public const float Tolerance = 1e-4f;

    /// <summary>The advice ending a refusal when the managed kernel was asked for explicitly.</summary>
    private const string Advice = "Use SasRecKernel.Auto (the default; it falls back to ONNX Runtime) or SasRecKernel.OnnxRuntime, which run any model that follows the contract.";

    /// <exception cref="NotSupportedException">The graph is not recognised, or the managed result differs from ONNX Runtime's.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a readable ONNX protobuf.</exception>
    /// <param name="model">The ONNX bytes.</param>
    /// <param name="metadata">The model's contract metadata.</param>
    /// <param name="reference">ONNX Runtime's encoding, the check's reference.</param>
    /// <param name="source">The model's name in messages.</param>
    /// <param name="advise">Whether a refusal ends with the advice to use another kernel (not when <see cref="SasRecKernel.Auto"/> falls back by itself).</param>
    public static ManagedSasRecKernel Create(byte[] model, OnnxSasRecEncoderMetadata metadata, ReferenceEncoder reference, string source, bool advise = true)
    {
        string advice = advise ? " " + Advice : "";
        ManagedSasRecKernel kernel;
        try
        {
            var proto = OnnxProtoReader.ReadModel(model);
            kernel = new ManagedSasRecKernel(SasRecGraphReader.Read(proto, metadata));
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"The managed SASRec kernel cannot run the ONNX model {source}: {e.Message}.{advice}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The managed SASRec kernel cannot read the ONNX model {source}: {e.Message}{advice}", e);
        }

        Verify(kernel, metadata, reference, source, advice);
        return kernel;
    }

    /// <summary>The histories of the load-time check: empty, one item, the boundary ids, L − 1, L and L + 5 items, and random ones.</summary>
    public static List<int[]> CheckHistories(int length, int itemCount)
    {
        var random = new Random(20240611);
        int[] Random(int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(1, itemCount + 1))];
        List<int[]> histories =
        [
            [],
            [1],
            [itemCount],
            [1, itemCount, 1],
            Random(Math.Max(length - 1, 0)),
            Random(length),
            Random(length + 5),
        ];
        for (int k = 0; k < 6; k++)
        {
            histories.Add(Random(random.Next(0, length + 6)));
        }

        return histories;
    }

    private static void Verify(ManagedSasRecKernel kernel, OnnxSasRecEncoderMetadata metadata, ReferenceEncoder reference, string source, string advice)
    {
        int d = metadata.HiddenSize;
        var expected = new float[d];
        var actual = new float[d];
        foreach (int[] history in CheckHistories(metadata.MaxLength, metadata.ItemCount))
        {
            reference(history, expected);
            kernel.Encode(history, actual);
            float scale = 1f;
            float worst = 0f;
            for (int c = 0; c < d; c++)
            {
                scale = MathF.Max(scale, MathF.Abs(expected[c]));
                float diff = MathF.Abs(actual[c] - expected[c]);
                worst = float.IsNaN(diff) ? float.PositiveInfinity : MathF.Max(worst, diff);
            }

            if (worst > Tolerance * scale)
            {
                throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                    $"The managed SASRec kernel does not reproduce ONNX Runtime on the ONNX model {source} (layout '{metadata.Layout}'): " +
                    $"on a history of {history.Length} items the user embeddings differ by up to {worst:G3} (allowed {Tolerance * scale:G3}), " +
                    $"so the graph is not computed the way the kernel assumes.{advice}"));
            }
        }
    }
}
