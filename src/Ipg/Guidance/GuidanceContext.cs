using System.Buffers;

namespace Ipg.Guidance;

/// <summary>
/// What a guidance model sees for one request: the user's representation (and history when the call has one),
/// the prepared target, the encoder, the candidates and their p̂. Valid during
/// <see cref="IGuidanceModel.ComputeGuidance"/> only.
/// </summary>
public readonly ref struct GuidanceContext
{
    private readonly IpgReranker _reranker;
    private readonly ReadOnlySpan<ulong> _excluded;
    private readonly float _strength;

    internal GuidanceContext(
        IpgReranker reranker,
        ReadOnlySpan<float> userEmbedding,
        ReadOnlySpan<int> history,
        bool hasHistory,
        int userIndex,
        GuidanceTarget target,
        ReadOnlySpan<int> candidateIds,
        int candidateCount,
        ReadOnlySpan<float> probabilities,
        ReadOnlySpan<ulong> excluded,
        int resultCount,
        float strength)
    {
        _reranker = reranker;
        UserEmbedding = userEmbedding;
        History = history;
        HasHistory = hasHistory;
        UserIndex = userIndex;
        Target = target;
        CandidateIds = candidateIds;
        CandidateCount = candidateCount;
        Probabilities = probabilities;
        _excluded = excluded;
        ResultCount = resultCount;
        _strength = strength;
    }

    /// <summary>ê_u, the user's current representation (d finite values).</summary>
    public ReadOnlySpan<float> UserEmbedding { get; }

    /// <summary>The user's history, oldest first, when the call has one (<see cref="HasHistory"/>); empty otherwise.</summary>
    public ReadOnlySpan<int> History { get; }

    /// <summary>
    /// Whether <see cref="History"/> is the user's real history (possibly empty: a new user). False for the
    /// embedding-only calls (<see cref="IpgReranker.RerankCatalogue"/>, <see cref="IpgReranker.RerankBatch(ReadOnlyMemory{float}, GuidanceTarget, int, Memory{RankedItem}, Memory{int}, ExclusionMask?, float?, CancellationToken)"/>, …).
    /// </summary>
    public bool HasHistory { get; }

    /// <summary>The user's index in a batch or policy call (row of the batch); −1 for a single request.</summary>
    public int UserIndex { get; }

    /// <summary>The prepared target.</summary>
    public GuidanceTarget Target { get; }

    /// <summary>The encoder (item table, re-encoding for look-ahead models).</summary>
    public ISequentialEncoder Encoder => _reranker.Encoder;

    /// <summary>True when the candidates are the whole catalogue (position p is item p + 1).</summary>
    public bool IsCatalogue => CandidateIds.IsEmpty;

    /// <summary>The candidate ids in position order; empty for the whole catalogue (see <see cref="IsCatalogue"/>).</summary>
    public ReadOnlySpan<int> CandidateIds { get; }

    /// <summary>How many candidates there are (the length of the guidance span to fill).</summary>
    public int CandidateCount { get; }

    /// <summary>p̂ of every candidate, in position order.</summary>
    public ReadOnlySpan<float> Probabilities { get; }

    /// <summary>K, how many entries the call returns.</summary>
    public int ResultCount { get; }

    /// <summary>The item id at candidate position <paramref name="position"/>.</summary>
    /// <param name="position">0..<see cref="CandidateCount"/> − 1.</param>
    /// <returns>The id in <c>1..N</c>.</returns>
    public int ItemIdAt(int position) => IsCatalogue ? position + 1 : CandidateIds[position];

    /// <summary>Copies a per-item table (index = item id, e.g. <see cref="GuidanceTarget.TargetDots"/>) into candidate order.</summary>
    /// <param name="perItem">Values for ids <c>0..N</c>.</param>
    /// <param name="destination"><see cref="CandidateCount"/> values.</param>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public void Gather(ReadOnlySpan<float> perItem, Span<float> destination)
    {
        if (perItem.Length <= Encoder.ItemCount || destination.Length < CandidateCount)
        {
            throw new ArgumentException($"Need a table of {Encoder.ItemCount + 1} values and a destination of {CandidateCount}.", nameof(perItem));
        }

        Scoring.Gather(perItem, CandidateIds, IsCatalogue, destination[..CandidateCount]);
    }

    /// <summary>The call's exclusion bitmap (by catalogue position, id − 1, on catalogue calls; by candidate position otherwise); empty when none.</summary>
    internal ReadOnlySpan<ulong> Excluded => _excluded;

    /// <summary>
    /// The positions of the best candidates under a provisional guidance (a shortlist), ranked exactly as the
    /// re-ranker would rank them — same strength, negative-guidance policy, exclusions and ties — so that a
    /// two-stage model (e.g. <see cref="ExactLookAheadGuidance"/>) shortlists with the one top-K.
    /// </summary>
    /// <param name="guidance">A provisional g per candidate.</param>
    /// <param name="positions">Receives up to its length positions, best first.</param>
    /// <returns>How many positions were written.</returns>
    /// <exception cref="ArgumentException"><paramref name="guidance"/> has the wrong length.</exception>
    public int SelectBest(ReadOnlySpan<float> guidance, Span<int> positions)
    {
        if (guidance.Length != CandidateCount)
        {
            throw new ArgumentException($"Expected {CandidateCount} guiding scores, got {guidance.Length}.", nameof(guidance));
        }

        int n = CandidateCount;
        var buffer = ArrayPool<float>.Shared.Rent(2 * n);
        try
        {
            var keys = buffer.AsSpan(0, n);
            var scores = buffer.AsSpan(n, n);
            _reranker.RankingKeys(Probabilities, guidance, scores, keys, _strength, CandidateIds, _excluded);
            return TopKSelector.Select<float>(keys, CandidateIds, _excluded, positions);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
