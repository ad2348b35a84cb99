namespace Ipg.Guidance;

/// <summary>Builds the built-in guidance models from configuration-style settings (a form, γ, a look-ahead mode).</summary>
public static class GuidanceModels
{
    /// <summary>The one-step model of <paramref name="form"/>: <see cref="LinearGuidance.Increase"/>, <see cref="LinearGuidance.Absolute"/> or <see cref="CosineGuidance"/> (which ignores γ).</summary>
    /// <param name="form">The form.</param>
    /// <param name="gamma">γ in <c>[0, 1)</c>; ignored by the cosine form.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="form"/> is undefined or γ is out of range.</exception>
    public static IGuidanceModel FromForm(GuidanceForm form, float gamma = 0.8f) => form switch
    {
        GuidanceForm.Increase => LinearGuidance.Increase(gamma),
        GuidanceForm.Absolute => LinearGuidance.Absolute(gamma),
        GuidanceForm.Cosine => CosineGuidance.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown guidance form."),
    };

    /// <summary>
    /// The model of <paramref name="form"/> in <paramref name="lookAhead"/> mode: the one-step model, or the exact
    /// look-ahead that shortlists <paramref name="exactCandidates"/> with it and scores them with the same form.
    /// </summary>
    /// <param name="form">The form.</param>
    /// <param name="gamma">γ in <c>[0, 1)</c>.</param>
    /// <param name="lookAhead">Linear (one-step assumption) or exact (re-encoded).</param>
    /// <param name="exactCandidates">M of the exact look-ahead (≥ 1).</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static IGuidanceModel Create(GuidanceForm form, float gamma, LookAheadMode lookAhead, int exactCandidates = 20) => lookAhead switch
    {
        LookAheadMode.Linear => FromForm(form, gamma),
        LookAheadMode.Exact => new ExactLookAheadGuidance(FromForm(form, gamma), exactCandidates, form),
        _ => throw new ArgumentOutOfRangeException(nameof(lookAhead), lookAhead, "Unknown look-ahead mode."),
    };
}
