namespace Ipg.Encoders;

/// <summary>
/// The default SASRec model shipped inside the package: trained with the paper's settings (hidden 48,
/// max length 70, 4 blocks, 8 heads) on the log of the paper's simulator preset (seed 2024), exported
/// to ONNX. It knows the simulator's 3,533 items: use it to try Ipg, run the paper's experiment, or
/// as a template; serve your own model with <see cref="OnnxSasRecEncoder.Load(string, OnnxSasRecEncoderOptions?)"/>.
/// </summary>
public static class SasRecDefaultModel
{
    /// <summary>The manifest resource name of the embedded model.</summary>
    public const string ResourceName = "Ipg.Models.sasrec-default.onnx";

    /// <summary>Opens the embedded model's bytes.</summary>
    /// <returns>A readable stream; the caller disposes it.</returns>
    /// <exception cref="InvalidOperationException">The package was built without the model.</exception>
    public static Stream Open() =>
        typeof(SasRecDefaultModel).Assembly.GetManifestResourceStream(ResourceName)
        ?? throw new InvalidOperationException($"The embedded default model '{ResourceName}' is missing from {typeof(SasRecDefaultModel).Assembly.GetName().Name}; rebuild with src/Ipg.Onnx/Models/sasrec-default.onnx present (tools/sasrec/README.md says how to train it).");

    /// <summary>Loads the embedded model with ONNX Runtime.</summary>
    /// <param name="options">Session options; defaults when null.</param>
    /// <returns>The encoder; dispose it when done.</returns>
    /// <exception cref="InvalidOperationException">The package was built without the model.</exception>
    public static OnnxSasRecEncoder Load(OnnxSasRecEncoderOptions? options = null)
    {
        using var stream = Open();
        return OnnxSasRecEncoder.Load(stream, options);
    }

    /// <summary>Loads the embedded model asynchronously.</summary>
    /// <param name="options">Session options; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The encoder; dispose it when done.</returns>
    /// <exception cref="InvalidOperationException">The package was built without the model.</exception>
    public static async Task<OnnxSasRecEncoder> LoadAsync(OnnxSasRecEncoderOptions? options = null, CancellationToken cancellationToken = default)
    {
        await using var stream = Open();
        return await OnnxSasRecEncoder.LoadAsync(stream, options, cancellationToken).ConfigureAwait(false);
    }
}
