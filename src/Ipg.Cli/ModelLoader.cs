using Ipg.Encoders;

namespace Ipg.Cli;

/// <summary>Loads the encoder a command runs on: a given ONNX file, or the model embedded in the package.</summary>
internal static class ModelLoader
{
    /// <summary>The exact commands that rebuild the default model from the seeded log.</summary>
    public const string RetrainHint =
        "To retrain the default model on this seed's log: `dotnet run --project src/Ipg.Cli -c Release -- collect-log --seed SEED --out paper-log.txt`, " +
        "then `LOG=paper-log.txt EPOCHS=50 bash tools/sasrec/build_default.sh` (Python with torch; tools/sasrec/README.md), and rebuild Ipg so " +
        "src/Ipg.Onnx/Models/sasrec-default.onnx is embedded again; or pass --model with a model trained on it. --force runs anyway (the results then " +
        "mix a model and a world that do not belong together).";

    /// <summary>
    /// Loads for an offline job: one intra-op thread per run, <paramref name="parallelRuns"/> runs at a time, the
    /// forward pass by <paramref name="kernel"/> (default Auto: the managed kernel where it reproduces ONNX Runtime; the
    /// choice and its reason go to standard error). Every failure is a <see cref="CliException"/>: an undefined kernel is
    /// exit 2; a model that cannot be loaded (missing, unreadable, not ONNX, breaks the contract, or — with
    /// <c>--kernel Managed</c> — the managed kernel does not recognise or reproduce it) exit 3, with the advice to use
    /// <c>--kernel Auto</c> where it helps.
    /// </summary>
    public static (OnnxSasRecEncoder Encoder, string Description) Load(FileInfo? model, int parallelRuns, SasRecKernel kernel = SasRecKernel.Auto)
    {
        if (!Enum.IsDefined(kernel))
        {
            throw CliException.InvalidArguments($"--kernel must be {string.Join(" or ", Enum.GetNames<SasRecKernel>())}, got {(int)kernel}.");
        }

        var options = OnnxSasRecEncoderOptions.Default with { IntraOpThreads = 1, BatchParallelism = parallelRuns, Kernel = kernel };
        string description = model is null ? "embedded default (" + SasRecDefaultModel.ResourceName + ")" : model.FullName;
        try
        {
            var encoder = model is null ? SasRecDefaultModel.Load(options) : OnnxSasRecEncoder.Load(model.FullName, options);
            Console.Error.WriteLine($"Encoder: {encoder.KernelChoice.TrimEnd('.')}.");
            return (encoder, description);
        }
        catch (NotSupportedException e)
        {
            throw CliException.ModelNotLoaded($"cannot load the model {description} with the managed kernel: {e.Message} On the command line: --kernel Auto (the default) or --kernel OnnxRuntime.", e);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            throw CliException.ModelNotLoaded($"cannot load the model {description}: {e.Message}", e);
        }
    }
}
