using System.ComponentModel.DataAnnotations;
using Ipg.Encoders;

namespace Ipg.Extensions.DependencyInjection;

/// <summary>
/// Configuration of the Ipg services, bound from a configuration section (by default <c>"Ipg"</c>) and
/// validated at start-up.
/// </summary>
/// <example>
/// <code language="json">
/// { "Ipg": { "Form": "Cosine", "LookAhead": "Linear", "Strength": 0.35, "NegativeGuidance": "AccuracyFallback", "MaxResults": 100,
///            "Encoder": { "Kernel": "Managed", "BatchParallelism": 2 } } }
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

    /// <summary>
    /// Watch <see cref="ModelPath"/> and swap in the model written there while serving (<see cref="IpgModelProvider"/>):
    /// polled every <see cref="ModelPollInterval"/>; a file that fails to load or check is refused and the current
    /// model keeps serving. Write a new model elsewhere and move it into place in one rename. Default false.
    /// </summary>
    public bool WatchModelFile { get; set; }

    /// <summary>How often <see cref="WatchModelFile"/> looks at the file (0.1 s to 1 hour). Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00", ErrorMessage = "Ipg:ModelPollInterval must be between 00:00:00.1 and 01:00:00.")]
    public TimeSpan ModelPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The ONNX SASRec encoder's own options (<see cref="OnnxSasRecEncoderOptions"/>, bound from <c>Ipg:Encoder</c>): every
    /// one of them is settable from configuration, e.g. <c>Ipg:Encoder:Kernel</c> (<see cref="SasRecKernel.Managed"/> is
    /// about 2.4× faster on the paper-size model and is checked against ONNX Runtime at start-up: a model it cannot
    /// run fails start-up), <c>Ipg:Encoder:ExpectedItemCount</c>, <c>Ipg:Encoder:IntraOpThreads</c>,
    /// <c>Ipg:Encoder:BatchParallelism</c>, <c>Ipg:Encoder:MaxBatchSize</c>, <c>Ipg:Encoder:Warmup</c>. Validated at
    /// start-up by <see cref="OnnxSasRecEncoderOptions.Validate"/>. Used by the <c>AddIpg</c> overloads that load the
    /// model themselves; an encoder factory builds its own encoder. <see cref="OnnxSasRecEncoderOptions.ConfigureSession"/>
    /// (an execution provider) is code, not configuration: set it with
    /// <c>services.PostConfigure&lt;IpgServiceOptions&gt;(o =&gt; o.Encoder = o.Encoder with { ConfigureSession = … })</c>.
    /// </summary>
    public OnnxSasRecEncoderOptions Encoder { get; set; } = new();

    /// <summary>Guiding-score form of the built-in guidance model (<see cref="Guidance.GuidanceModels.Create"/>). Default Cosine, as <see cref="IpgOptions.Default"/>.</summary>
    [EnumDataType(typeof(GuidanceForm))]
    public GuidanceForm Form { get; set; } = GuidanceForm.Cosine;

    /// <summary>γ in [0, 1) of the linear forms (<see cref="Guidance.LinearGuidance"/>). Default 0.8.</summary>
    [Range(0.0, 0.9999999, ErrorMessage = "Ipg:Gamma must be in [0, 1).")]
    public float Gamma { get; set; } = 0.8f;

    /// <summary>Linear (one-step assumption) or exact (re-encoded, <see cref="Guidance.ExactLookAheadGuidance"/>) look-ahead. Default Linear.</summary>
    [EnumDataType(typeof(LookAheadMode))]
    public LookAheadMode LookAhead { get; set; } = LookAheadMode.Linear;

    /// <summary>M, the candidates the exact look-ahead re-encodes per request. Default 20.</summary>
    [Range(1, 10_000)]
    public int ExactCandidates { get; set; } = 20;

    /// <summary>The default guidance strength λ in [0, 1] (<see cref="IpgOptions.Strength"/>); a request may pass its own. Default 0.35, as <see cref="IpgOptions.Default"/>.</summary>
    [Range(0.0, 1.0, ErrorMessage = "Ipg:Strength must be in [0, 1].")]
    public float Strength { get; set; } = IpgOptions.Default.Strength;

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

    /// <summary>
    /// A look-ahead fit of the served model (the file <c>ipg fit</c> writes; docs/guidance.md), or null/empty for
    /// none. Loaded and checked against the model when the re-ranker is built (a fit for another model, or a file
    /// that is not a valid fit, fails start-up). Its calibrated p̂ (when it has one) replaces the model's own, and
    /// with <see cref="Form"/> = Increase its fitted affine move replaces the paper's γ move.
    /// </summary>
    public string? LookAheadFitPath { get; set; }

    /// <summary>
    /// Rounds of planned guidance (<see cref="Guidance.PlannedGuidance"/>): 0 (default) plans nothing; 1–4 wraps the
    /// model above in a closed-loop planner over <see cref="PlanningShortlist"/> candidates, keeping
    /// <see cref="PlanningBeam"/> next items per step. Each planned request costs tens of encoder calls (docs/guidance.md).
    /// </summary>
    [Range(0, 4)]
    public int PlanningHorizon { get; set; }

    /// <summary>Next items kept per planning step, B (≥ 1). Default 4.</summary>
    [Range(1, int.MaxValue)]
    public int PlanningBeam { get; set; } = 4;

    /// <summary>Candidates the planner re-scores, M (≥ 1; at least the result count is used). Default 10.</summary>
    [Range(1, int.MaxValue)]
    public int PlanningShortlist { get; set; } = 10;

    /// <summary>Reads <see cref="LookAheadFitPath"/> (not yet checked against a model); null when none is set.</summary>
    /// <returns>The fit, or null.</returns>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid fit.</exception>
    public Guidance.LookAheadFit? LoadLookAheadFit() =>
        string.IsNullOrWhiteSpace(LookAheadFitPath) ? null : Guidance.LookAheadFit.Load(LookAheadFitPath);

    /// <summary>The re-ranker options these settings describe, with the fit of <see cref="LookAheadFitPath"/> when set.</summary>
    /// <returns>A validated <see cref="IpgOptions"/>.</returns>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    /// <exception cref="IOException">The fit file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The fit file is not a valid fit.</exception>
    public IpgOptions ToRerankerOptions() => ToRerankerOptions(LoadLookAheadFit());

    /// <summary>The re-ranker options these settings describe, with <paramref name="fit"/> (already loaded and checked) in place of the file.</summary>
    /// <param name="fit">The look-ahead fit, or null for none.</param>
    /// <returns>A validated <see cref="IpgOptions"/>.</returns>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public IpgOptions ToRerankerOptions(Guidance.LookAheadFit? fit)
    {
        var step = fit is not null && Form == GuidanceForm.Increase
            ? LookAhead == LookAheadMode.Exact ? new Guidance.ExactLookAheadGuidance(fit.Guidance, ExactCandidates, GuidanceForm.Increase) : fit.Guidance
            : Guidance.GuidanceModels.Create(Form, Gamma, LookAhead, ExactCandidates);
        if (PlanningHorizon is < 0 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(PlanningHorizon), PlanningHorizon, "The planning horizon is 0 (off) to 4 rounds.");
        }

        var acceptance = fit?.Acceptance;
        var options = new IpgOptions
        {
            Guidance = PlanningHorizon == 0
                ? step
                : new Guidance.PlannedGuidance(step, PlanningHorizon, PlanningBeam, PlanningShortlist, Form == GuidanceForm.Cosine ? GuidanceForm.Cosine : GuidanceForm.Increase, acceptance),
            NegativeGuidance = NegativeGuidance,
            Strength = Strength,
            Acceptance = acceptance,
        };
        options.Validate();
        return options;
    }
}
