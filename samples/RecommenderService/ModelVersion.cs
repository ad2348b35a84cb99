using System.Security.Cryptography;
using Ipg.Encoders;
using Ipg.Extensions.DependencyInjection;

namespace RecommenderService;

/// <summary>
/// The version of the served model: the SHA-256 of its ONNX bytes. Every response carries its short form
/// (<see cref="Short"/>, the first 16 hex digits) in the <c>X-Model-Version</c> header and in the body.
/// </summary>
/// <param name="Sha256">The SHA-256 of the model file (or of the embedded default), lower-case hex.</param>
/// <param name="Source">Where the model came from: its path, or "embedded default".</param>
public sealed record ModelVersion(string Sha256, string Source)
{
    /// <summary>The response header that carries <see cref="Short"/>.</summary>
    public const string Header = "X-Model-Version";

    /// <summary>The first 16 hex digits of <see cref="Sha256"/>: what responses carry.</summary>
    public string Short => Sha256[..16];

    /// <summary>Hashes the model that <paramref name="options"/> names (<c>Ipg:ModelPath</c>, or the embedded default).</summary>
    public static ModelVersion Of(IpgServiceOptions options)
    {
        bool embedded = string.IsNullOrWhiteSpace(options.ModelPath);
        using Stream stream = embedded ? SasRecDefaultModel.Open() : File.OpenRead(options.ModelPath!);
        return new ModelVersion(Convert.ToHexStringLower(SHA256.HashData(stream)), embedded ? "embedded default" : Path.GetFullPath(options.ModelPath!));
    }
}
