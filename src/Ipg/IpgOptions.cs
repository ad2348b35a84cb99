namespace Ipg;

/// <summary>
/// Options of <see cref="IpgReranker"/>. Immutable once built; validated by the re-ranker's constructor.
/// </summary>
/// <remarks>
/// Defaults: <see cref="GuidanceForm.Increase"/> (the paper's equation; its ranking does not depend on γ,
/// so there is one fewer knob to mis-set), γ = 0.8 (the simulator's true drift weight ω, spec §3, so the
/// linear look-ahead matches the dynamics it is evaluated on; with the Increase form γ only scales the
/// reported g) and <see cref="NegativeGuidancePolicy.AccuracyFallback"/> (see its remarks). Use
/// <see cref="Paper"/> to run exactly as published.
/// </remarks>
public sealed record IpgOptions
{
    /// <summary>The service defaults: Increase form, γ = 0.8, accuracy fallback for negative guidance.</summary>
    public static IpgOptions Default { get; } = new();

    /// <summary>The method as published: Increase form, γ = 0.8, raw product <c>p̂·g</c> for every candidate.</summary>
    public static IpgOptions Paper { get; } = new() { NegativeGuidance = NegativeGuidancePolicy.Raw };

    /// <summary>Which guiding-score form to use. Default <see cref="GuidanceForm.Increase"/>.</summary>
    public GuidanceForm Form { get; init; } = GuidanceForm.Increase;

    /// <summary>
    /// γ of the linear assumption <c>ê_u' = γ·ê_u + (1 − γ)·ê_i</c>, in <c>[0, 1)</c>. Default 0.8.
    /// Ignored by <see cref="GuidanceForm.Cosine"/>.
    /// </summary>
    public float Gamma { get; init; } = 0.8f;

    /// <summary>What to do with candidates whose guiding score is not positive. Default <see cref="NegativeGuidancePolicy.AccuracyFallback"/>.</summary>
    public NegativeGuidancePolicy NegativeGuidance { get; init; } = NegativeGuidancePolicy.AccuracyFallback;

    /// <summary>Linear (the paper) or exact (re-encoded) look-ahead. Default <see cref="LookAheadMode.Linear"/>.</summary>
    public LookAheadMode LookAhead { get; init; } = LookAheadMode.Linear;

    /// <summary>
    /// M, how many of the best candidates by the linear score the <see cref="LookAheadMode.Exact"/> mode
    /// re-encodes (at least K are always re-encoded). Default 20.
    /// </summary>
    public int ExactCandidates { get; init; } = 20;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An enum value is undefined, γ is not a finite value in <c>[0, 1)</c>, or <see cref="ExactCandidates"/> is below 1.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(LookAhead))
        {
            throw new ArgumentOutOfRangeException(nameof(LookAhead), LookAhead, "Unknown look-ahead mode.");
        }

        if (ExactCandidates < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ExactCandidates), ExactCandidates, "The exact look-ahead needs at least one candidate.");
        }

        if (!Enum.IsDefined(Form))
        {
            throw new ArgumentOutOfRangeException(nameof(Form), Form, "Unknown guidance form.");
        }

        if (!Enum.IsDefined(NegativeGuidance))
        {
            throw new ArgumentOutOfRangeException(nameof(NegativeGuidance), NegativeGuidance, "Unknown negative-guidance policy.");
        }

        if (!float.IsFinite(Gamma) || Gamma < 0f || Gamma >= 1f)
        {
            throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "γ must be a finite value in [0, 1); γ = 1 would make every guiding score zero.");
        }
    }
}
