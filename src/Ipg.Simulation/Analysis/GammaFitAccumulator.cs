using System.Numerics.Tensors;

namespace Ipg.Simulation.Analysis;

/// <summary>
/// Accumulates the sufficient statistics of <see cref="GammaFit"/> one (u = ENC(s), e = ê_i, n = ENC(s ⊕ i))
/// triple at a time: six sums of dot products, so the fit needs no stored vectors. Not thread-safe.
/// </summary>
/// <remarks>
/// The one-parameter fit is least squares through the origin of y = n − e on x = u − e (the same γ̂ as
/// MathNet's <c>Fit.LineThroughOrigin</c> over the stacked coordinates, tested); the two-parameter fit solves
/// the 2 × 2 normal equations. Sums are kept in double; residuals are clamped at 0 against cancellation.
/// </remarks>
public sealed class GammaFitAccumulator
{
    private long _pairs;
    private double _uu, _ue, _ee, _nu, _ne, _nn;
    private double _moveNorms, _userNorms, _itemNorms;

    /// <summary>Number of triples added.</summary>
    public long Pairs => _pairs;

    /// <summary>Adds one move.</summary>
    /// <param name="user">u = ENC(s).</param>
    /// <param name="item">e = ê_i.</param>
    /// <param name="next">n = ENC(s ⊕ i).</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public void Add(ReadOnlySpan<float> user, ReadOnlySpan<float> item, ReadOnlySpan<float> next)
    {
        if (item.Length != user.Length || next.Length != user.Length)
        {
            throw new ArgumentException($"user, item and next must be equally long (got {user.Length}, {item.Length}, {next.Length}).", nameof(next));
        }

        double uu = TensorPrimitives.Dot(user, user);
        double ue = TensorPrimitives.Dot(user, item);
        double ee = TensorPrimitives.Dot(item, item);
        double nu = TensorPrimitives.Dot(next, user);
        double ne = TensorPrimitives.Dot(next, item);
        double nn = TensorPrimitives.Dot(next, next);
        _uu += uu;
        _ue += ue;
        _ee += ee;
        _nu += nu;
        _ne += ne;
        _nn += nn;
        _moveNorms += Math.Sqrt(Math.Max(0, nn - (2 * nu) + uu));
        _userNorms += Math.Sqrt(uu);
        _itemNorms += Math.Sqrt(ee);
        _pairs++;
    }

    /// <summary>Adds another accumulator's sums.</summary>
    /// <param name="other">The other accumulator.</param>
    public void Add(GammaFitAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _pairs += other._pairs;
        _uu += other._uu;
        _ue += other._ue;
        _ee += other._ee;
        _nu += other._nu;
        _ne += other._ne;
        _nn += other._nn;
        _moveNorms += other._moveNorms;
        _userNorms += other._userNorms;
        _itemNorms += other._itemNorms;
    }

    /// <summary>
    /// The relative residual of a given affine move <c>n ≈ a·u + b·e</c> on the pairs added here (same denominator as
    /// <see cref="GammaFit.UnconstrainedRelativeResidual"/>): how well a move fitted elsewhere explains these
    /// moves (out of sample). 1 = no better than predicting no move; above 1 = worse than that.
    /// </summary>
    /// <param name="a">Coefficient of ENC(s).</param>
    /// <param name="b">Coefficient of ê_i.</param>
    /// <returns>The relative residual; NaN without pairs or without movement.</returns>
    public double RelativeResidualOf(double a, double b)
    {
        double move = _nn - (2 * _nu) + _uu;
        if (_pairs == 0 || !(move > 0))
        {
            return double.NaN;
        }

        double residual = _nn - (2 * a * _nu) - (2 * b * _ne) + (a * a * _uu) + (2 * a * b * _ue) + (b * b * _ee);
        return Math.Sqrt(Math.Max(0, residual) / move);
    }

    /// <summary>The fit of everything added so far (NaN fields without pairs).</summary>
    /// <returns>The fit.</returns>
    public GammaFit Result()
    {
        if (_pairs == 0)
        {
            return new GammaFit(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        // x = u − e, y = n − e:  γ̂ = Σx·y / Σx·x;  residual Σ‖y − γ̂x‖² = Σy·y − γ̂·Σx·y.
        double xy = _nu - _ue - _ne + _ee;
        double xx = _uu - (2 * _ue) + _ee;
        double yy = _nn - (2 * _ne) + _ee;
        double move = _nn - (2 * _nu) + _uu;
        double gamma = xx > 0 ? xy / xx : double.NaN;
        double residual = Math.Max(0, yy - (gamma * xy));
        double relative = move > 0 ? Math.Sqrt(residual / move) : double.NaN;

        // n ≈ a·u + b·e: [uu ue; ue ee]·[a; b] = [nu; ne];  residual = nn − a·nu − b·ne.
        double det = (_uu * _ee) - (_ue * _ue);
        double a = double.NaN, b = double.NaN, unconstrained = double.NaN;
        if (det > 1e-12 * _uu * _ee)
        {
            a = ((_nu * _ee) - (_ne * _ue)) / det;
            b = ((_ne * _uu) - (_nu * _ue)) / det;
            unconstrained = move > 0 ? Math.Sqrt(Math.Max(0, _nn - (a * _nu) - (b * _ne)) / move) : double.NaN;
        }

        return new GammaFit(_pairs, gamma, relative, a, b, unconstrained, _moveNorms / _pairs, _userNorms / _pairs, _itemNorms / _pairs);
    }
}
