using System.Globalization;
using System.Numerics.Tensors;

namespace Ipg.Guidance;

/// <summary>
/// Planned guidance: scores a shortlist by what accepting each candidate would do to the user's preference for the
/// target over the next <see cref="Horizon"/> rounds, with the encoder as the model of the user (closed loop: the
/// re-ranker calls it every round with the user's real history, so the plan is re-made each round).
/// </summary>
/// <remarks>
/// <para>For the current history s with state u = ENC(s), proxy φ(u) (the target's cosine or dot with u, per
/// <see cref="Proxy"/>) and the top-<see cref="Shortlist"/> candidates by <see cref="StepModel"/>:</para>
/// <code>
/// g(i) = φ(ENC(s ⊕ i)) − φ(u) + V_{H−1}(s ⊕ i) − V_{H−1}(s)
/// V_0 = 0,   V_h(s) = max over the top-B next items k of  p̂(k | s) · [φ(ENC(s ⊕ k)) − φ(ENC(s)) + V_{h−1}(s ⊕ k)]
/// </code>
/// <para>The re-ranker multiplies g(i) by p̂(i), so the ranking is by the expected gain of showing i: if it is
/// accepted the user moves to s ⊕ i and the plan continues from there, if not the plan continues from s (the
/// V_{H−1}(s) term). The B next items of a planning step are the best by the cheap cosine rule
/// p̂(k)·[cos(ê_k, t) − cos(ENC(s), t)] among the items not in the history (nor excluded, on catalogue calls);
/// p̂ of a planning step is <see cref="Acceptance"/> (a fit's calibrated p̂) or the encoder's own. Candidates outside
/// the shortlist get NaN. Without a history (embedding-only calls) it scores with <see cref="StepModel"/>.</para>
/// <para><b>Cost</b> (encoder calls per request): <c>M + M·B + M·B² + … + B + B² + …</c> up to depth H − 1, i.e.
/// <c>M·(1 + B)</c> + B at H = 2; plus one catalogue pass per planned state. The knob is (H, B, M);
/// <c>docs/guidance.md</c> gives the measured cost of each setting as a ratio to the linear request.</para>
/// <para>Thread-safe; allocates its per-call buffers (a planned request costs tens of encoder calls, which
/// dominate).</para>
/// </remarks>
public sealed class PlannedGuidance : IGuidanceModel
{
    /// <summary>Creates the planner.</summary>
    /// <param name="stepModel">The model that shortlists the candidates (e.g. <see cref="CosineGuidance.Instance"/>).</param>
    /// <param name="horizon">Rounds planned, H ≥ 1 (1 = the exact one-step look-ahead of <see cref="Proxy"/>).</param>
    /// <param name="beam">Next items B kept per planning step (≥ 1).</param>
    /// <param name="shortlist">Candidates M re-scored (≥ 1; at least the result count is used).</param>
    /// <param name="proxy">The preference proxy φ: <see cref="GuidanceForm.Cosine"/> (cos(u, t)) or <see cref="GuidanceForm.Increase"/> (t·u).</param>
    /// <param name="acceptance">p̂ of the planning steps; the encoder's own when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stepModel"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range, or the proxy is not Cosine or Increase.</exception>
    public PlannedGuidance(IGuidanceModel stepModel, int horizon = 2, int beam = 4, int shortlist = 10, GuidanceForm proxy = GuidanceForm.Cosine, AcceptanceCalibration? acceptance = null)
    {
        ArgumentNullException.ThrowIfNull(stepModel);
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(horizon, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(beam, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shortlist, 1);
        if (proxy is not (GuidanceForm.Cosine or GuidanceForm.Increase))
        {
            throw new ArgumentOutOfRangeException(nameof(proxy), proxy, "The planning proxy is Cosine (cos(u, t)) or Increase (t·u).");
        }

        acceptance?.Validate();
        StepModel = stepModel;
        Horizon = horizon;
        Beam = beam;
        Shortlist = shortlist;
        Proxy = proxy;
        Acceptance = acceptance;
        Name = string.Create(CultureInfo.InvariantCulture, $"planned(H={horizon},B={beam},M={shortlist},{proxy.ToString().ToLowerInvariant()};step {stepModel.Name}{(acceptance is null ? "" : ";calibrated p̂")})");
    }

    /// <summary>The shortlisting model.</summary>
    public IGuidanceModel StepModel { get; }

    /// <summary>Rounds planned, H.</summary>
    public int Horizon { get; }

    /// <summary>Next items kept per planning step, B.</summary>
    public int Beam { get; }

    /// <summary>Candidates re-scored, M.</summary>
    public int Shortlist { get; }

    /// <summary>The preference proxy φ.</summary>
    public GuidanceForm Proxy { get; }

    /// <summary>p̂ of the planning steps (null: the encoder's own).</summary>
    public AcceptanceCalibration? Acceptance { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public void ComputeGuidance(in GuidanceContext context, Span<float> guidance)
    {
        StepModel.ComputeGuidance(context, guidance);
        if (!context.HasHistory)
        {
            return;
        }

        var encoder = context.Encoder;
        int d = encoder.Dimension;
        int m = Math.Min(Math.Max(Shortlist, context.ResultCount), context.CandidateCount);
        var positions = new int[m];
        int found = context.SelectBest(guidance, positions);
        guidance.Fill(float.NaN);
        if (found == 0)
        {
            return;
        }

        var target = context.Target;
        var history = context.History.ToArray();
        var excluded = context.IsCatalogue ? context.Excluded.ToArray() : [];
        var planner = new Planner(this, encoder, target, excluded);
        var user = context.UserEmbedding;
        float now = planner.Phi(user);
        var candidates = new int[found];
        for (int c = 0; c < found; c++)
        {
            candidates[c] = context.ItemIdAt(positions[c]);
        }

        var next = planner.EncodeAppended(history, candidates);
        float stay = planner.Value(history, user, Horizon - 1);
        for (int c = 0; c < found; c++)
        {
            var after = next.AsSpan(c * d, d);
            float value = planner.Value(HistoryWindow.Append(history, candidates[c], encoder.MaxHistoryLength), after, Horizon - 1);
            guidance[positions[c]] = planner.Phi(after) - now + value - stay;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private sealed class Planner(PlannedGuidance owner, ISequentialEncoder encoder, GuidanceTarget target, ulong[] excluded)
    {
        private readonly int _n = encoder.ItemCount;
        private readonly int _d = encoder.Dimension;

        public float Phi(ReadOnlySpan<float> user) => owner.Proxy == GuidanceForm.Cosine ? target.Cosine(user) : target.Dot(user);

        public float[] EncodeAppended(int[] history, int[] items)
        {
            var histories = new ReadOnlyMemory<int>[items.Length];
            for (int c = 0; c < items.Length; c++)
            {
                histories[c] = HistoryWindow.Append(history, items[c], encoder.MaxHistoryLength);
            }

            var next = new float[items.Length * _d];
            encoder.EncodeBatch(histories, next);
            return next;
        }

        /// <summary>V_h(s): the best expected proxy gain over h more rounds from state <paramref name="user"/> = ENC(history).</summary>
        public float Value(int[] history, ReadOnlySpan<float> user, int depth)
        {
            if (depth == 0)
            {
                return 0f;
            }

            // The B next items by the cosine rule p̂(k)·[cos(ê_k, t) − cos(u, t)], history and exclusions left out.
            var logits = new float[_n];
            Scoring.CatalogueLogits(user, encoder.ItemEmbeddings, logits);
            var p = new float[_n];
            if (owner.Acceptance is { } acceptance)
            {
                acceptance.Apply(logits, p);
            }
            else
            {
                encoder.ComputeProbabilities(logits, p);
            }

            float userCosine = target.Cosine(user);
            var keys = logits; // the logits are no longer needed once p̂ exists
            TensorPrimitives.Subtract(target.TargetCosines[1..], userCosine, keys);
            TensorPrimitives.Multiply(keys, p, keys);
            var seen = new ulong[(_n + 63) >> 6];
            excluded.AsSpan(0, Math.Min(excluded.Length, seen.Length)).CopyTo(seen);
            foreach (int id in history)
            {
                seen[(id - 1) >> 6] |= 1UL << ((id - 1) & 63);
            }

            var order = new int[Math.Min(owner.Beam, _n)];
            int found = TopKSelector.Select<float>(keys, ReadOnlySpan<int>.Empty, seen, order);
            if (found == 0)
            {
                return 0f;
            }

            var items = new int[found];
            for (int c = 0; c < found; c++)
            {
                items[c] = order[c] + 1;
            }

            var next = EncodeAppended(history, items);
            float now = Phi(user);
            float best = float.NegativeInfinity;
            for (int c = 0; c < found; c++)
            {
                var after = next.AsSpan(c * _d, _d);
                float later = Value(HistoryWindow.Append(history, items[c], encoder.MaxHistoryLength), after, depth - 1);
                best = Math.Max(best, p[order[c]] * (Phi(after) - now + later));
            }

            return best;
        }
    }
}
