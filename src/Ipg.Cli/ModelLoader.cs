using Ipg.Encoders;

namespace Ipg.Cli;

/// <summary>Loads the encoder a command runs on: a given ONNX file, or the model embedded in the package.</summary>
internal static class ModelLoader
{
    /// <summary>The exact commands that rebuild the default model from the seeded log.</summary>
    public const string RetrainHint =
        "To retrain the default model on this seed's log: `dotnet run --project src/Ipg.Cli -c Release -- collect-log --seed SEED --out paper-log.txt`, " +
        "then `LOG=paper-log.txt EPOCHS=50 bash tools/sasrec/build_default.sh` (Python with torch; tools/sasrec/README.md), and rebuild Ipg so " +
        "src/Ipg/Models/sasrec-default.onnx is embedded again; or pass --model with a model trained on it. --force runs anyway (the results then " +
        "mix a model and a world that do not belong together).";

    /// <summary>
    /// Loads for an offline job: one intra-op thread per run, <paramref name="parallelRuns"/> runs at a time, the
    /// forward pass by <paramref name="kernel"/> (the managed kernel throws <see cref="NotSupportedException"/> for a
    /// model it does not recognise or reproduce).
    /// </summary>
    public static (OnnxSasRecEncoder Encoder, string Description) Load(FileInfo? model, int parallelRuns, SasRecKernel kernel = SasRecKernel.Managed)
    {
        var options = OnnxSasRecEncoderOptions.Default with { IntraOpThreads = 1, BatchParallelism = parallelRuns, Kernel = kernel };
        if (model is null)
        {
            return (SasRecDefaultModel.Load(options), "embedded default (" + SasRecDefaultModel.ResourceName + ")");
        }

        return (OnnxSasRecEncoder.Load(model.FullName, options), model.FullName);
    }
}
