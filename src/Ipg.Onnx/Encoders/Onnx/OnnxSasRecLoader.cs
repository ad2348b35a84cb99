using Ipg.Encoders.Managed;
using Microsoft.ML.OnnxRuntime;

namespace Ipg.Encoders.Onnx;

/// <summary>
/// Loading an <see cref="OnnxSasRecEncoder"/>: the ONNX Runtime session (telemetry events off first), the contract checks
/// (<see cref="OnnxSasRecContract"/>), the item table, and the forward pass: ONNX Runtime, or the managed kernel once it
/// has reproduced ONNX Runtime on the same model. A failure at any step releases what was created.
/// </summary>
internal static class OnnxSasRecLoader
{
    private static readonly string[] s_inputNames = [OnnxSasRecContract.InputName];
    private static readonly string[] s_itemsOutputNames = [OnnxSasRecContract.ItemsOutputName];
    private static readonly string[] s_itemsAndBiasOutputNames = [OnnxSasRecContract.ItemsOutputName, OnnxSasRecContract.BiasOutputName];

    /// <summary>1 once <see cref="DisableOnnxRuntimeTelemetry"/> has run in this process.</summary>
    private static int s_telemetryDisabled;

    /// <summary>Loads from bytes (refusing external data, which would resolve against the working directory).</summary>
    public static OnnxSasRecEncoder LoadBytes(byte[] model, OnnxSasRecEncoderOptions options, string source)
    {
        if (model.Length == 0)
        {
            throw new InvalidDataException($"The ONNX model {source} is empty (0 bytes).");
        }

        // From bytes, ONNX Runtime resolves external data against the process's working directory (tested:
        // OnnxExternalDataTests), so a model could read any file there into its weights. A model that needs side
        // files must be loaded from its path, where they resolve inside its folder.
        if (OnnxProtoReader.FindExternalData(model) is { } external)
        {
            throw new InvalidDataException($"The ONNX model {source} keeps data outside itself: {external}. A model loaded from bytes or a stream has no folder to read it from; load it with OnnxSasRecEncoder.Load(path).");
        }

        return Create(options, source, so => new InferenceSession(model, so), () => model);
    }

    /// <summary>Opens the session, checks the contract, fetches the item table, builds the forward pass (verifying the managed kernel) and warms up.</summary>
    public static OnnxSasRecEncoder Create(OnnxSasRecEncoderOptions options, string source, Func<SessionOptions, InferenceSession> open, Func<byte[]> readModel)
    {
        InferenceSession session;
        using (var sessionOptions = CreateSessionOptions(options))
        {
            try
            {
                session = open(sessionOptions);
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException(
                    $"The ONNX model {source} could not be loaded by ONNX Runtime (empty, truncated, or not an ONNX model?): {e.Message}", e);
            }
        }

        OnnxRuntimeForward? onnx = null;
        OnnxSasRecEncoder? encoder = null;
        try
        {
            var metadata = OnnxSasRecContract.ReadMetadata(OnnxSasRecContract.ReadProperties(session, source), source);
            if (options.ExpectedItemCount is int expected && expected != metadata.ItemCount)
            {
                throw new ArgumentException(
                    $"The caller expects {expected} items (options.ExpectedItemCount) but the ONNX model {source} has ipg.item_count = {metadata.ItemCount}.",
                    nameof(options));
            }

            OnnxSasRecContract.CheckSignature(session.InputMetadata, session.OutputMetadata, metadata, source);
            bool bias = session.OutputMetadata.ContainsKey(OnnxSasRecContract.BiasOutputName);
            var items = FetchItemTable(session, metadata, bias, source);
            onnx = new OnnxRuntimeForward(session, metadata.MaxLength, metadata.HiddenSize);
            var (forward, kernel, choice) = ChooseForward(options, metadata, onnx, source, readModel);
            if (!ReferenceEquals(forward, onnx))
            {
                // Checked against ONNX Runtime on the same model; once it passed, the session is no longer needed.
                onnx.Dispose();
            }

            onnx = null;
            encoder = new OnnxSasRecEncoder(metadata, items, options, forward, kernel, choice);
            if (options.Warmup)
            {
                try
                {
                    encoder.Warmup();
                }
                catch (OnnxRuntimeException e)
                {
                    throw OnnxSasRecContract.Broken(source, $"running '{OnnxSasRecContract.UserOutputName}' on a full-length history failed: {e.Message}", e);
                }
            }

            return encoder;
        }
        catch
        {
            if (encoder is not null)
            {
                encoder.Dispose();
            }
            else if (onnx is not null)
            {
                onnx.Dispose();
            }
            else
            {
                session.Dispose();
            }

            throw;
        }
    }

    /// <summary>The forward pass <see cref="OnnxSasRecEncoderOptions.Kernel"/> asks for, the kernel it is, and why.</summary>
    private static (IUserForward Forward, SasRecKernel Kernel, string Choice) ChooseForward(
        OnnxSasRecEncoderOptions options, OnnxSasRecEncoderMetadata metadata, OnnxRuntimeForward onnx, string source, Func<byte[]> readModel)
    {
        IUserForward Managed(bool advise) => ManagedSasRecKernelLoader.Create(readModel(), metadata, onnx.Encode, source, advise);
        switch (options.Kernel)
        {
            case SasRecKernel.OnnxRuntime:
                return (onnx, SasRecKernel.OnnxRuntime, "ONNX Runtime, as the options ask (Kernel = OnnxRuntime)");
            case SasRecKernel.Managed:
                return (Managed(advise: true), SasRecKernel.Managed,
                    $"the managed kernel, as the options ask (Kernel = Managed); it reproduces ONNX Runtime on this model (layout {metadata.Layout})");
            default:
                if (options.ConfigureSession is not null)
                {
                    return (onnx, SasRecKernel.OnnxRuntime, "ONNX Runtime: Kernel = Auto and ConfigureSession is set, so the session the application configured runs the model");
                }

                try
                {
                    return (Managed(advise: false), SasRecKernel.Managed,
                        $"the managed kernel (Kernel = Auto): it recognises this model (layout {metadata.Layout}) and reproduces ONNX Runtime on it");
                }
                catch (Exception e) when (e is NotSupportedException or InvalidDataException)
                {
                    return (onnx, SasRecKernel.OnnxRuntime, $"ONNX Runtime (Kernel = Auto): {e.Message}");
                }
        }
    }

    private static SessionOptions CreateSessionOptions(OnnxSasRecEncoderOptions options)
    {
        var so = CreateSessionOptions(options.IntraOpThreads, options.InterOpThreads, options.GraphOptimizationLevel);
        try
        {
            // The application's last word: an execution provider, or any other session setting.
            options.ConfigureSession?.Invoke(so);
            return so;
        }
        catch
        {
            so.Dispose();
            throw;
        }
    }

    /// <summary>Session options for any Ipg model (also <see cref="OnnxIrnModel"/>), with ONNX Runtime's telemetry turned off first.</summary>
    internal static SessionOptions CreateSessionOptions(int intraOpThreads, int interOpThreads, GraphOptimizationLevel level)
    {
        DisableOnnxRuntimeTelemetry();
        var so = new SessionOptions();
        try
        {
            so.IntraOpNumThreads = intraOpThreads;
            so.InterOpNumThreads = interOpThreads;
            so.ExecutionMode = interOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL;
            so.GraphOptimizationLevel = level;
            return so;
        }
        catch
        {
            so.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Turns ONNX Runtime's telemetry events off, once, before the first session is created, through ONNX Runtime's
    /// own API (<see cref="OrtEnv.DisableTelemetryEvents"/>). The library changes nothing else in the process: in
    /// particular it does not touch the environment. The Linux build of ONNX Runtime also embeds a 1DS upload client
    /// (<c>mobile.events.data.microsoft.com</c>) that only stays out when <c>ORT_DISABLE_TELEMETRY=1</c> is in the
    /// process's environment when ONNX Runtime starts, which only the host can arrange (docs/reliability.md,
    /// "Telemetry: a host step").
    /// </summary>
    private static void DisableOnnxRuntimeTelemetry()
    {
        if (Interlocked.Exchange(ref s_telemetryDisabled, 1) != 0)
        {
            return;
        }

        OrtEnv.Instance().DisableTelemetryEvents();
    }

    /// <summary>Requests only <c>item_embeddings</c> (and <c>item_bias</c>), with one all-padding row as the (required) input.</summary>
    private static ItemEmbeddingTable FetchItemTable(InferenceSession session, OnnxSasRecEncoderMetadata metadata, bool bias, string source)
    {
        var ids = new long[metadata.MaxLength];
        using var input = OrtValue.CreateTensorValueFromMemory(ids, [1, metadata.MaxLength]);
        using var runOptions = new RunOptions();
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = session.Run(runOptions, s_inputNames, [input], bias ? s_itemsAndBiasOutputNames : s_itemsOutputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw OnnxSasRecContract.Broken(source, $"fetching '{OnnxSasRecContract.ItemsOutputName}'{(bias ? $" and '{OnnxSasRecContract.BiasOutputName}'" : "")} with a padding-only batch failed: {e.Message}", e);
        }

        using (outputs)
        {
            return OnnxSasRecContract.ReadItemTable(outputs[0], bias ? outputs[1] : null, metadata, source);
        }
    }
}
