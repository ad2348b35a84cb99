using System.Globalization;
using System.Numerics.Tensors;

namespace Ipg;

/// <summary>
/// A calibrated acceptance estimate: <c>p̂ = σ(Scale·(ê_u·ê_i) + Bias)</c> instead of the encoder's own
/// <see cref="ISequentialEncoder.ComputeProbabilities"/>. A SASRec trained with one sampled negative per position
/// learns <i>which item comes next against a random one</i>, not <i>how likely a user is to accept what they are
/// shown</i>; IPG multiplies p̂ by g, so a miscalibrated p̂ mis-weighs accuracy against guidance. Fitted by
/// <see cref="Fit"/> (logistic regression, Platt scaling) from an impression log: the logits of items that were
/// shown, and whether they were accepted.
/// </summary>
/// <param name="Scale">Multiplies the logit (finite, &gt; 0: a calibration may not reverse the base ranking).</param>
/// <param name="Bias">Added to the scaled logit (finite).</param>
public sealed record AcceptanceCalibration(float Scale, float Bias)
{
    /// <summary>σ(logit): the plain sigmoid, what SASRec's training implies.</summary>
    public static AcceptanceCalibration Identity { get; } = new(1f, 0f);

    /// <summary>Throws unless <see cref="Scale"/> is finite and positive and <see cref="Bias"/> finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range.</exception>
    public void Validate()
    {
        if (!float.IsFinite(Scale) || Scale <= 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "The calibration's scale must be finite and positive (a negative scale would reverse the base recommender's ranking).");
        }

        if (!float.IsFinite(Bias))
        {
            throw new ArgumentOutOfRangeException(nameof(Bias), Bias, "The calibration's bias must be finite.");
        }
    }

    /// <summary>Writes <c>σ(Scale·logit + Bias)</c> for every logit.</summary>
    /// <param name="logits">The logits <c>ê_u·ê_i</c>.</param>
    /// <param name="destination">Receives the probabilities; at least as long as <paramref name="logits"/> (may be the same span).</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public void Apply(ReadOnlySpan<float> logits, Span<float> destination)
    {
        if (destination.Length < logits.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values, the logits are {logits.Length}.", nameof(destination));
        }

        var d = destination[..logits.Length];
        TensorPrimitives.Multiply(logits, Scale, d);
        TensorPrimitives.Add(d, Bias, d);
        TensorPrimitives.Sigmoid(d, d);
    }

    /// <summary>
    /// Fits <c>P(accepted) = σ(a·logit + b)</c> by maximum likelihood (Newton's method on the two parameters, in
    /// double precision).
    /// </summary>
    /// <param name="logits">The logit of each shown item for its user at the time it was shown.</param>
    /// <param name="accepted">Whether each was accepted (clicked).</param>
    /// <returns>The calibration.</returns>
    /// <exception cref="ArgumentException">The spans differ in length, hold fewer than 2 samples, a logit is not
    /// finite, both outcomes do not occur, or the fitted scale is not positive (the logits do not rank acceptances
    /// above rejections: this encoder's scores carry no acceptance signal for this log).</exception>
    public static AcceptanceCalibration Fit(ReadOnlySpan<float> logits, ReadOnlySpan<bool> accepted)
    {
        if (logits.Length != accepted.Length)
        {
            throw new ArgumentException($"{logits.Length} logits but {accepted.Length} outcomes.", nameof(accepted));
        }

        if (logits.Length < 2)
        {
            throw new ArgumentException("Calibration needs at least 2 shown items.", nameof(logits));
        }

        int positives = 0;
        for (int s = 0; s < logits.Length; s++)
        {
            if (!float.IsFinite(logits[s]))
            {
                throw new ArgumentException($"Logit {s} is {logits[s]}.", nameof(logits));
            }

            positives += accepted[s] ? 1 : 0;
        }

        if (positives == 0 || positives == logits.Length)
        {
            throw new ArgumentException($"Calibration needs both accepted and rejected impressions; all {logits.Length} were {(positives == 0 ? "rejected" : "accepted")}.", nameof(accepted));
        }

        // Start from the base rate with a = 0 (always inside the likelihood's basin), then Newton with step halving.
        double rate = (double)positives / logits.Length;
        double a = 0, b = Math.Log(rate / (1 - rate));
        double current = NegativeLogLikelihood(logits, accepted, a, b);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
            for (int s = 0; s < logits.Length; s++)
            {
                double x = logits[s];
                double p = 1 / (1 + Math.Exp(-((a * x) + b)));
                double r = p - (accepted[s] ? 1 : 0);
                double w = Math.Max(p * (1 - p), 1e-12);
                ga += r * x;
                gb += r;
                haa += w * x * x;
                hab += w * x;
                hbb += w;
            }

            double det = (haa * hbb) - (hab * hab);
            if (!(det > 0))
            {
                break;
            }

            double da = ((hbb * ga) - (hab * gb)) / det, db = ((haa * gb) - (hab * ga)) / det;
            double step = 1;
            double next = NegativeLogLikelihood(logits, accepted, a - da, b - db);
            while (next > current && step > 1e-6)
            {
                step /= 2;
                next = NegativeLogLikelihood(logits, accepted, a - (step * da), b - (step * db));
            }

            a -= step * da;
            b -= step * db;
            bool converged = current - next < 1e-12 * Math.Max(1, current);
            current = next;
            if (converged)
            {
                break;
            }
        }

        if (!(a > 0) || !double.IsFinite(b))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The fitted scale is {a:G4}: these logits do not rank accepted items above rejected ones, so they cannot be calibrated into an acceptance estimate."), nameof(logits));
        }

        return new AcceptanceCalibration((float)a, (float)b);
    }

    /// <summary>Mean negative log-likelihood (log-loss, natural log) of <paramref name="accepted"/> under this calibration.</summary>
    /// <param name="logits">The logits.</param>
    /// <param name="accepted">The outcomes (same length).</param>
    /// <returns>The log-loss; lower is better.</returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty.</exception>
    public double LogLoss(ReadOnlySpan<float> logits, ReadOnlySpan<bool> accepted)
    {
        if (logits.Length != accepted.Length || logits.Length == 0)
        {
            throw new ArgumentException($"Need the same, non-zero number of logits and outcomes, got {logits.Length} and {accepted.Length}.", nameof(accepted));
        }

        return NegativeLogLikelihood(logits, accepted, Scale, Bias) / logits.Length;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"σ({Scale:G4}·logit {(Bias < 0 ? '-' : '+')} {Math.Abs(Bias):G4})");

    private static double NegativeLogLikelihood(ReadOnlySpan<float> logits, ReadOnlySpan<bool> accepted, double a, double b)
    {
        double total = 0;
        for (int s = 0; s < logits.Length; s++)
        {
            double z = (a * logits[s]) + b;

            // −log σ(z) = softplus(−z), −log(1 − σ(z)) = softplus(z), computed without overflow.
            double t = accepted[s] ? -z : z;
            total += t > 0 ? t + Math.Log(1 + Math.Exp(-t)) : Math.Log(1 + Math.Exp(t));
        }

        return total;
    }
}
