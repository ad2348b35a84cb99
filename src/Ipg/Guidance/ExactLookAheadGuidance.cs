using System.Collections;
using System.Globalization;
using System.Numerics.Tensors;

namespace Ipg.Guidance;

/// <summary>
/// The exact look-ahead: instead of assuming how the user's representation moves, ask the encoder. Shortlist the
/// best <see cref="Candidates"/> M candidates under a cheap <see cref="Shortlist"/> model (ranked exactly as the
/// re-ranker ranks), re-encode the history with each of them appended in one batched encoder call, and score
/// them with the real next state <c>ê_u' = ENC(s ⊕ i)</c>: Increase <c>g = t·ê_u' − t·ê_u</c>, Absolute
/// <c>g = t·ê_u'</c>, Cosine <c>g = cos(ê_u', t) − cos(ê_u, t)</c>. Candidates outside the shortlist get NaN
/// (never returned).
/// </summary>
/// <remarks>
/// <para>Costs one encoder call of M histories per request (M is raised to K when K is larger). Needs the
/// history: on calls that have one (<see cref="IpgReranker.Recommend(ReadOnlySpan{int}, GuidanceTarget, int, ReadOnlySpan{int}, float?)"/>,
/// <c>IpgPolicy</c> (Ipg.Simulation), the history overloads) it re-encodes; on embedding-only calls it scores with
/// the shortlist model alone — never an exception. Allocation-free in steady state (per-thread scratch).</para>
/// <para>How far the linear assumption is from a real SASRec and what this mode buys: <c>docs/linear-assumption.md</c>.</para>
/// </remarks>
public sealed class ExactLookAheadGuidance : IGuidanceModel
{
    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>Creates the model.</summary>
    /// <param name="shortlist">The model that picks the M candidates to re-encode (and scores on calls without a history).</param>
    /// <param name="candidates">M ≥ 1, how many candidates to re-encode; default 20.</param>
    /// <param name="form">How the real next state is scored; default <see cref="GuidanceForm.Increase"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shortlist"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="candidates"/> is below 1, or <paramref name="form"/> is undefined.</exception>
    public ExactLookAheadGuidance(IGuidanceModel shortlist, int candidates = 20, GuidanceForm form = GuidanceForm.Increase)
    {
        ArgumentNullException.ThrowIfNull(shortlist);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        if (!Enum.IsDefined(form))
        {
            throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown guidance form.");
        }

        Shortlist = shortlist;
        Candidates = candidates;
        Form = form;
        Name = string.Create(CultureInfo.InvariantCulture, $"exact(M={candidates},{form.ToString().ToLowerInvariant()};shortlist {shortlist.Name})");
    }

    /// <summary>The model that shortlists.</summary>
    public IGuidanceModel Shortlist { get; }

    /// <summary>M, how many candidates are re-encoded.</summary>
    public int Candidates { get; }

    /// <summary>How the real next state is scored.</summary>
    public GuidanceForm Form { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public void ComputeGuidance(in GuidanceContext context, Span<float> guidance)
    {
        Shortlist.ComputeGuidance(context, guidance);
        if (!context.HasHistory)
        {
            return;
        }

        var encoder = context.Encoder;
        int d = encoder.Dimension;
        int m = Math.Min(Math.Max(Candidates, context.ResultCount), context.CandidateCount);
        int keep = Math.Min(context.History.Length, Math.Max(0, encoder.MaxHistoryLength - 1));
        // Taken out of the thread's slot while in use, so that a re-entrant call on this thread (e.g. task inlining
        // inside the encoder's batch) gets its own buffers instead of overwriting these.
        var scratch = t_scratch ?? new Scratch();
        t_scratch = null;
        try
        {
            scratch.Ensure(m, keep + 1, d);
            Rescore(context, guidance, scratch, m, keep, d);
        }
        finally
        {
            t_scratch = scratch;
        }
    }

    private void Rescore(in GuidanceContext context, Span<float> guidance, Scratch scratch, int m, int keep, int d)
    {
        var encoder = context.Encoder;
        var positions = scratch.Positions.AsSpan(0, m);
        int found = context.SelectBest(guidance, positions);
        guidance.Fill(float.NaN);
        if (found == 0)
        {
            return;
        }

        // s ⊕ i for every shortlisted i; the encoder would drop the oldest items beyond its maximum anyway.
        var recent = context.History[^keep..];
        for (int c = 0; c < found; c++)
        {
            var slot = scratch.Extended.AsMemory(c * (keep + 1), keep + 1);
            recent.CopyTo(slot.Span);
            slot.Span[keep] = context.ItemIdAt(positions[c]);
            scratch.Histories[c] = slot;
        }

        scratch.List.Count = found;
        var next = scratch.Next.AsSpan(0, found * d);
        try
        {
            encoder.EncodeBatch(scratch.List, next);
        }
        finally
        {
            scratch.List.Count = 0;
        }

        var target = context.Target;
        var user = context.UserEmbedding;
        float userDotTarget = target.Dot(user);
        float userCosine = Form == GuidanceForm.Cosine ? target.Cosine(user) : 0f;
        for (int c = 0; c < found; c++)
        {
            var after = next.Slice(c * d, d);
            float afterDotTarget = target.Dot(after);
            guidance[positions[c]] = Form switch
            {
                GuidanceForm.Increase => afterDotTarget - userDotTarget,
                GuidanceForm.Absolute => afterDotTarget,
                _ => (target.CosineDirectionIsDirection
                    ? target.CosineCore(afterDotTarget, TensorPrimitives.Norm(after))
                    : target.Cosine(after)) - userCosine,
            };
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Per-thread buffers, grown on demand and reused (so the exact look-ahead allocates nothing in steady state).</summary>
    private sealed class Scratch
    {
        public int[] Positions = [];
        public int[] Extended = [];
        public float[] Next = [];
        public ReadOnlyMemory<int>[] Histories = [];
        public readonly HistoryList List;

        public Scratch() => List = new HistoryList(this);

        public void Ensure(int m, int length, int d)
        {
            if (Positions.Length < m)
            {
                Positions = new int[m];
                Histories = new ReadOnlyMemory<int>[m];
            }

            if (Extended.Length < m * length)
            {
                Extended = new int[m * length];
            }

            if (Next.Length < m * d)
            {
                Next = new float[m * d];
            }
        }
    }

    /// <summary>The first <see cref="Count"/> histories of the scratch, as the list the encoder takes (no copy, no allocation).</summary>
    private sealed class HistoryList(Scratch owner) : IReadOnlyList<ReadOnlyMemory<int>>
    {
        public int Count { get; set; }

        public ReadOnlyMemory<int> this[int index] => (uint)index < (uint)Count ? owner.Histories[index] : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<ReadOnlyMemory<int>> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return owner.Histories[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
