using System.ComponentModel.DataAnnotations;
using Ipg.Encoders;

namespace Ipg.Extensions.DependencyInjection;

/// <summary>
/// Configuration of the Ipg services, bound from a configuration section (by default <c>"Ipg"</c>) and
/// validated at start-up.
/// </summary>
/// <example>
/// <code language="json">
/// { "Ipg": { "Form": "Cosine", "LookAhead": "Linear", "Strength": 0.9, "NegativeGuidance": "AccuracyFallback", "MaxResults": 100 } }
/// </code>
/// </example>
public sealed class IpgServiceOptions
{
    /// <summary>The default configuration section name, "Ipg".</summary>
    public const string SectionName = "Ipg";

    /// <summary>
    /// Path of the ONNX SASRec to serve (docs/onnx-contract.md). Null or empty: the default model embedded in
    /// the Ipg package (<see cref="Encoders.SasRecDefaultModel"/>). Used by the <c>AddIpg</c> overloads that
    /// do not take an encoder factory.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>The item count the model must have (refused at start-up otherwise); null accepts the model's own.</summary>
    [Range(1, int.MaxValue)]
    public int? ExpectedItemCount { get; set; }

    /// <summary>ONNX Runtime intra-op threads per request. Default 1: a service runs requests in parallel already.</summary>
    [Range(1, 256)]
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>
    /// The encoder's forward pass; see <see cref="OnnxSasRecEncoderOptions.Kernel"/>. Default
    /// <see cref="SasRecKernel.OnnxRuntime"/>; <see cref="SasRecKernel.Managed"/> is about 2.4× faster on the
    /// paper-size model and is checked against ONNX Runtime at start-up (a model it cannot run fails start-up).
    /// </summary>
    [EnumDataType(typeof(SasRecKernel))]
    public SasRecKernel Kernel { get; set; } = SasRecKernel.OnnxRuntime;

    /// <summary>Guiding-score form of the built-in guidance model (<see cref="Guidance.GuidanceModels.Create"/>). Default Increase.</summary>
    [EnumDataType(typeof(GuidanceForm))]
    public GuidanceForm Form { get; set; } = GuidanceForm.Increase;

    /// <summary>γ in [0, 1) of the linear forms (<see cref="Guidance.LinearGuidance"/>). Default 0.8.</summary>
    [Range(0.0, 0.9999999, ErrorMessage = "Ipg:Gamma must be in [0, 1).")]
    public float Gamma { get; set; } = 0.8f;

    /// <summary>Linear (one-step assumption) or exact (re-encoded, <see cref="Guidance.ExactLookAheadGuidance"/>) look-ahead. Default Linear.</summary>
    [EnumDataType(typeof(LookAheadMode))]
    public LookAheadMode LookAhead { get; set; } = LookAheadMode.Linear;

    /// <summary>M, the candidates the exact look-ahead re-encodes per request. Default 20.</summary>
    [Range(1, 10_000)]
    public int ExactCandidates { get; set; } = 20;

    /// <summary>The default guidance strength λ in [0, 1] (<see cref="IpgOptions.Strength"/>); a request may pass its own. Default 1.</summary>
    [Range(0.0, 1.0, ErrorMessage = "Ipg:Strength must be in [0, 1].")]
    public float Strength { get; set; } = 1f;

    /// <summary>How many prepared targets the registered <see cref="GuidanceTargetCache"/> keeps. Default 1,024.</summary>
    [Range(1, 1_000_000)]
    public int TargetCacheCapacity { get; set; } = 1024;

    /// <summary>Negative-guidance policy; see <see cref="IpgOptions.NegativeGuidance"/>. Default AccuracyFallback.</summary>
    [EnumDataType(typeof(NegativeGuidancePolicy))]
    public NegativeGuidancePolicy NegativeGuidance { get; set; } = IpgOptions.Default.NegativeGuidance;

    /// <summary>
    /// The most entries a caller may request per user: the limit the host applies to K before calling the
    /// re-ranker, so that one request cannot make it allocate a huge result (the re-ranker itself accepts any
    /// K and caps it at the catalogue size; see samples/RecommenderService). Default 1,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxResults { get; set; } = 1_000;

    /// <summary>The re-ranker options these settings describe.</summary>
    /// <returns>A validated <see cref="IpgOptions"/>.</returns>
    public IpgOptions ToRerankerOptions()
    {
        var options = new IpgOptions
        {
            Guidance = Guidance.GuidanceModels.Create(Form, Gamma, LookAhead, ExactCandidates),
            NegativeGuidance = NegativeGuidance,
            Strength = Strength,
        };
        options.Validate();
        return options;
    }
}
