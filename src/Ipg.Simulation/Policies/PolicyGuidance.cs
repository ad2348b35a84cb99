namespace Ipg.Policies;

/// <summary>How a guiding policy guides: recorded beside its results (e.g. in <c>results.json</c>).</summary>
/// <param name="Model">The guidance model's <see cref="Guidance.IGuidanceModel.Name"/>.</param>
/// <param name="NegativeGuidance">The negative-guidance policy.</param>
/// <param name="Strength">The guidance strength λ.</param>
public sealed record PolicyGuidance(string Model, NegativeGuidancePolicy NegativeGuidance, float Strength)
{
    /// <summary>The description of a re-ranker's options.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The description.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static PolicyGuidance From(IpgOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new PolicyGuidance(options.Guidance.Name, options.NegativeGuidance, options.Strength);
    }
}
