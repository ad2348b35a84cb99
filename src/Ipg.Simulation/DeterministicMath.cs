using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ipg.Simulation;

/// <summary>
/// exp and log built only from IEEE-754 +, −, ×, ÷ and exact scaling, so their results are
/// bit-identical on every platform (spec §3 determinism requirement).
/// </summary>
/// <remarks>
/// <see cref="Math.Exp"/> and <see cref="Math.Log(double)"/> call the platform's C runtime, whose last-ulp
/// results may differ between operating systems and CPUs; a one-ulp difference in a click
/// probability can flip a click and change the whole log. RyuJIT never contracts a·b + c into a
/// fused multiply-add on its own, so these scalar expressions evaluate identically everywhere.
/// Accuracy is a few ulps, far below anything the simulator can observe.
/// </remarks>
internal static class DeterministicMath
{
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double InvLn2 = 1.44269504088896338700e+00;

    /// <summary>e^x. Saturates to 0 / +∞ outside [−745, 709].</summary>
    public static double Exp(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x > 709.0)
        {
            return double.PositiveInfinity;
        }

        if (x < -745.0)
        {
            return 0.0;
        }

        // x = k·ln2 + r with |r| ≤ ln2/2; e^x = 2^k · e^r.
        var k = Math.Round(x * InvLn2, MidpointRounding.ToEven);
        var r = (x - (k * Ln2Hi)) - (k * Ln2Lo);

        // Taylor series of e^r, Horner order fixed; 18 terms reach double precision for |r| ≤ 0.35.
        var sum = 1.0;
        for (var n = 18; n >= 1; n--)
        {
            sum = 1.0 + (r * sum / n);
        }

        return Math.ScaleB(sum, (int)k);
    }

    /// <summary>Natural logarithm for x &gt; 0 (NaN for x &lt; 0, −∞ for 0).</summary>
    public static double Log(double x)
    {
        if (double.IsNaN(x) || x < 0)
        {
            return double.NaN;
        }

        if (x == 0)
        {
            return double.NegativeInfinity;
        }

        if (double.IsPositiveInfinity(x))
        {
            return x;
        }

        // x = m·2^e with m in [√½, √2): log x = e·ln2 + 2·atanh((m − 1)/(m + 1)).
        var e = Math.ILogB(x);
        var m = Math.ScaleB(x, -e);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            e++;
        }

        var s = (m - 1.0) / (m + 1.0);
        var s2 = s * s;
        // atanh(s) = s·Σ s^(2n)/(2n+1); |s| ≤ 0.1716, so 15 terms suffice.
        var sum = 0.0;
        for (var n = 15; n >= 0; n--)
        {
            sum = (1.0 / ((2 * n) + 1)) + (s2 * sum);
        }

        return (e * Ln2Hi) + ((2.0 * s * sum) + (e * Ln2Lo));
    }

    /// <summary>The logistic sigmoid 1 / (1 + e^(−z)), deterministic.</summary>
    public static double Sigmoid(double z) => 1.0 / (1.0 + Exp(-z));

    /// <summary>Euclidean norm with a fixed summation order (index ascending).</summary>
    public static double Norm(ReadOnlySpan<double> v)
    {
        var s = 0.0;
        for (var i = 0; i < v.Length; i++)
        {
            s += v[i] * v[i];
        }

        return Math.Sqrt(s);
    }

    /// <summary>Dot product with a fixed summation order (index ascending).</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        // Same left-to-right order as the naive loop, without bounds checks; unrolled by four,
        // but still one dependent accumulator so the rounding is identical.
        ref var pa = ref MemoryMarshal.GetReference(a);
        ref var pb = ref MemoryMarshal.GetReference(b);
        var n = Math.Min(a.Length, b.Length);
        var s = 0.0;
        var i = 0;
        for (; i <= n - 4; i += 4)
        {
            s += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
            s += Unsafe.Add(ref pa, i + 1) * Unsafe.Add(ref pb, i + 1);
            s += Unsafe.Add(ref pa, i + 2) * Unsafe.Add(ref pb, i + 2);
            s += Unsafe.Add(ref pa, i + 3) * Unsafe.Add(ref pb, i + 3);
        }

        for (; i < n; i++)
        {
            s += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        }

        return s;
    }
}
