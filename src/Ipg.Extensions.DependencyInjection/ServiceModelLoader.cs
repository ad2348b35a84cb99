using System.Security.Cryptography;
using Ipg.Encoders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ipg.Extensions.DependencyInjection;

/// <summary>The built-in loader of <see cref="IpgModelProvider"/>: an ONNX SASRec file (or the embedded default), hashed.</summary>
internal static class ServiceModelLoader
{
    /// <summary>Loads <paramref name="pathOverride"/>, else <see cref="IpgServiceOptions.ModelPath"/>, else the embedded default.</summary>
    public static LoadedEncoder Load(IpgServiceOptions options, string? pathOverride, ILogger? logger)
    {
        string? path = string.IsNullOrWhiteSpace(pathOverride) ? options.ModelPath : pathOverride;
        bool embedded = string.IsNullOrWhiteSpace(path);
        var encoderOptions = options.Encoder;
        try
        {
            OnnxSasRecEncoder encoder;
            string sha;
            string source;
            if (embedded)
            {
                using (var stream = SasRecDefaultModel.Open())
                {
                    sha = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
                }

                encoder = SasRecDefaultModel.Load(encoderOptions);
                source = "embedded default";
            }
            else
            {
                source = Path.GetFullPath(path!);
                sha = File.Exists(source) ? HashFile(source) : string.Empty;
                encoder = OnnxSasRecEncoder.Load(source, encoderOptions);
                if (HashFile(source) != sha)
                {
                    encoder.Dispose();
                    throw new IOException($"The model file '{source}' changed while it was loaded; write the new model elsewhere and move it into place in one rename.");
                }
            }

            if (logger is not null)
            {
                Log.ModelLoaded(logger, source, encoder.ItemCount, encoder.Dimension, encoder.MaxHistoryLength, encoder.Metadata.Layout, encoder.Kernel, encoder.KernelChoice);
            }

            return new LoadedEncoder(encoder, sha, null, source);
        }
        catch (Exception e) when (logger is not null && e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            Log.ModelLoadFailed(logger, embedded ? "embedded default" : path!, e);
            throw;
        }
    }

    /// <summary>The SHA-256 of a file, lower-case hex.</summary>
    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }
}
