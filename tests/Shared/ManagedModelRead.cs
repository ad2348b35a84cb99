using Ipg.Encoders;
using Ipg.Encoders.Managed;

namespace Ipg.Tests.Shared;

/// <summary>
/// What the managed kernel reads of a model — the external-data scan, the protobuf and the SASRec graph — as one call
/// for the hostile-model corpus (tests/Ipg.Tests) and the fuzzer (bench/Ipg.Fuzz), which both link this file.
/// </summary>
internal static class ManagedModelRead
{
    /// <summary>
    /// Reads <paramref name="data"/> as the managed kernel does, against <paramref name="metadata"/>. Throws what the
    /// readers throw; a throw from <see cref="OnnxProtoReader.FindExternalData"/>, documented never to throw, is
    /// reported as <see cref="InvalidOperationException"/> (not a documented outcome).
    /// </summary>
    public static void Run(byte[] data, OnnxSasRecEncoderMetadata metadata)
    {
        try
        {
            OnnxProtoReader.FindExternalData(data);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException("FindExternalData threw, although it is documented to return null for bytes that are not protobuf.", e);
        }

        SasRecGraphReader.Read(OnnxProtoReader.ReadModel(data), metadata);
    }

    /// <summary>The contract metadata of the model at <paramref name="path"/> (loaded with ONNX Runtime, then released).</summary>
    public static OnnxSasRecEncoderMetadata MetadataOf(string path)
    {
        using var encoder = OnnxSasRecEncoder.Load(path);
        return encoder.Metadata;
    }
}
