using MathNet.Numerics.Random;

namespace Ipg.Simulation;

/// <summary>
/// Standard normal draws by Marsaglia's polar method on top of a MathNet generator, using only
/// <see cref="Math.Sqrt"/> (correctly rounded) and <see cref="DeterministicMath.Log"/>, so that
/// embeddings are bit-identical on every platform. Both values of each pair are used, in order.
/// </summary>
internal sealed class GaussianSampler
{
    private readonly Xoshiro256StarStar _rng;
    private double _spare;
    private bool _hasSpare;

    public GaussianSampler(Xoshiro256StarStar rng) => _rng = rng;

    public double Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        double u, v, s;
        do
        {
            u = (2.0 * _rng.NextDouble()) - 1.0;
            v = (2.0 * _rng.NextDouble()) - 1.0;
            s = (u * u) + (v * v);
        }
        while (s >= 1.0 || s == 0.0);

        var f = Math.Sqrt(-2.0 * DeterministicMath.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }
}
