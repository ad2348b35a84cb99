using System.Globalization;
using System.Numerics.Tensors;

namespace Ipg.Guidance;

/// <summary>
/// The dot-product guidance models, one kernel: <c>g = b·(t·ê_i) + c·(t·ê_u)</c> with t the target direction
/// (ê_j for one item). The paper's Increase form, the design card's Absolute form and the fitted affine move are
/// all of this shape (spec §2):
/// <list type="bullet">
/// <item><see cref="Increase"/>(γ): <c>ê_u' = γ·ê_u + (1 − γ)·ê_i</c>, <c>g = t·ê_u' − t·ê_u = (1 − γ)·(t·ê_i − t·ê_u)</c> — the paper's equation;
/// γ only rescales g, so the ranking does not depend on it.</item>
/// <item><see cref="Absolute"/>(γ): <c>g = t·ê_u' = (1 − γ)·(t·ê_i) + γ·(t·ê_u)</c> — γ trades accuracy for guidance.</item>
/// <item><see cref="Affine"/>(a, b): the increase under a fitted move <c>ê_u' = a·ê_u + b·ê_i</c>,
/// <c>g = b·(t·ê_i) + (a − 1)·(t·ê_u)</c> (<c>ipg analyze linearity</c> fits a and b; a = γ, b = 1 − γ is Increase).</item>
/// </list>
/// One lookup in the target's prepared <see cref="GuidanceTarget.TargetDots"/> and one multiply-add per candidate.
/// Linear in t, so a campaign's g is the weighted sum of its items' g. Immutable and thread-safe.
/// </summary>
public sealed class LinearGuidance : IGuidanceModel, IEquatable<LinearGuidance>, ITermGuidance
{
    private LinearGuidance(float itemWeight, float userWeight, string name)
    {
        ItemWeight = itemWeight;
        UserWeight = userWeight;
        Name = name;
    }

    /// <summary>The paper's Increase form with the simulator's drift weight, γ = 0.8: the guidance of <see cref="IpgOptions.Paper"/> (the library's default is <see cref="CosineGuidance"/>, chosen by measurement).</summary>
    public static LinearGuidance Default { get; } = Increase(0.8f);

    /// <summary>b, the weight of <c>t·ê_i</c>.</summary>
    public float ItemWeight { get; }

    /// <summary>c, the weight of <c>t·ê_u</c>.</summary>
    public float UserWeight { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The paper's equation: <c>g = (1 − γ)·(t·ê_i − t·ê_u)</c>.</summary>
    /// <param name="gamma">γ of the linear assumption, finite in <c>[0, 1)</c> (γ = 1 would make every g zero).</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is out of range.</exception>
    public static LinearGuidance Increase(float gamma)
    {
        CheckGamma(gamma);
        return new LinearGuidance(1f - gamma, -(1f - gamma), Describe("linear-increase", gamma));
    }

    /// <summary>The design card's form: <c>g = (1 − γ)·(t·ê_i) + γ·(t·ê_u)</c>.</summary>
    /// <param name="gamma">γ, finite in <c>[0, 1)</c>.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is out of range.</exception>
    public static LinearGuidance Absolute(float gamma)
    {
        CheckGamma(gamma);
        return new LinearGuidance(1f - gamma, gamma, Describe("linear-absolute", gamma));
    }

    /// <summary>The increase under the affine move <c>ê_u' = a·ê_u + b·ê_i</c>: <c>g = b·(t·ê_i) + (a − 1)·(t·ê_u)</c>.</summary>
    /// <param name="a">Coefficient of ê_u (finite).</param>
    /// <param name="b">Coefficient of ê_i (finite, positive: accepting an item moves the user towards it).</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="a"/> is not finite, or <paramref name="b"/> is not finite and positive.</exception>
    public static LinearGuidance Affine(double a, double b)
    {
        if (!double.IsFinite(a))
        {
            throw new ArgumentOutOfRangeException(nameof(a), a, "a must be finite.");
        }

        if (!double.IsFinite(b) || b <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(b), b, "b must be finite and positive.");
        }

        return new LinearGuidance((float)b, (float)(a - 1), string.Create(CultureInfo.InvariantCulture, $"affine(a={a:0.####},b={b:0.####})"));
    }

    /// <inheritdoc />
    public void ComputeGuidance(in GuidanceContext context, Span<float> guidance)
    {
        var target = context.Target;
        var dots = target.TargetDots;
        float userDotTarget = target.Dot(context.UserEmbedding);
        var source = context.IsCatalogue ? dots.Slice(1, guidance.Length) : Gathered(context, dots, guidance);
        Apply(source, userDotTarget, guidance);
    }

    /// <inheritdoc />
    TargetTerm ITermGuidance.Term => TargetTerm.Dots;

    /// <inheritdoc />
    float ITermGuidance.UserTerm(GuidanceTarget target, ReadOnlySpan<float> user) => target.Dot(user);

    /// <inheritdoc />
    void ITermGuidance.Guidance(ReadOnlySpan<float> terms, float userTerm, Span<float> guidance) => Apply(terms, userTerm, guidance);

    /// <summary>g from the items' <c>t·ê_i</c> (<paramref name="source"/>, may alias <paramref name="guidance"/>) and <c>t·ê_u</c>.</summary>
    private void Apply(ReadOnlySpan<float> source, float userDotTarget, Span<float> guidance)
    {
        if (UserWeight == -ItemWeight)
        {
            // (t·ê_i − t·ê_u)·b: the Increase form as the paper writes it (and as Ipg computed it before the seam).
            TensorPrimitives.Subtract(source, userDotTarget, guidance);
            TensorPrimitives.Multiply(guidance, ItemWeight, guidance);
        }
        else
        {
            TensorPrimitives.Multiply(source, ItemWeight, guidance);
            TensorPrimitives.Add(guidance, UserWeight * userDotTarget, guidance);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Two models are equal when they compute the same g: same weights and the same description.</summary>
    /// <param name="other">The other model.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(LinearGuidance? other) => other is not null && ItemWeight.Equals(other.ItemWeight) && UserWeight.Equals(other.UserWeight) && Name == other.Name;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as LinearGuidance);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ItemWeight, UserWeight, Name);

    private static ReadOnlySpan<float> Gathered(in GuidanceContext context, ReadOnlySpan<float> perItem, Span<float> guidance)
    {
        context.Gather(perItem, guidance);
        return guidance;
    }

    private static void CheckGamma(float gamma)
    {
        if (!float.IsFinite(gamma) || gamma < 0f || gamma >= 1f)
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be a finite value in [0, 1); γ = 1 would make every guiding score zero.");
        }
    }

    private static string Describe(string form, float gamma) => string.Create(CultureInfo.InvariantCulture, $"{form}(γ={gamma:0.###})");
}
