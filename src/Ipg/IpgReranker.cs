using System.Buffers;
using System.Diagnostics;
using System.Numerics.Tensors;
using Ipg.Diagnostics;
using Ipg.Guidance;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ipg;

/// <summary>
/// The Iterative Preference Guidance re-ranker (Bi et al., WWW 2024; spec §2). For every candidate i it
/// computes the interaction probability p̂ (from the encoder), asks the configured guidance model
/// (<see cref="IpgOptions.Guidance"/>) for the guiding score g towards the target, and ranks by
/// <c>r = p̂·g</c>.
/// </summary>
/// <remarks>
/// <para>The re-ranker owns the scoring chain exactly once — logits, p̂, the guidance model's g, the strength λ,
/// the product, the negative-guidance policy, exclusions, top-K and ties, batches and telemetry; a guidance
/// model (<see cref="IGuidanceModel"/>) only writes g.</para>
/// <para><b>Strength λ</b> (<see cref="IpgOptions.Strength"/>, or per call): the ranking key is computed from
/// <c>g_λ = λ·g + (1 − λ)·S</c>, with S = max |g| over the request's candidates (excluded items and NaN left out); r_λ = p̂·g_λ, and the
/// negative-guidance policy applies to g_λ. λ = 1 is IPG exactly; λ = 0 ranks by the base recommender's logit
/// <c>ê_u·ê_i</c> (the guidance model is not called, entries report g = 0). In between, λ shifts every g by the
/// same amount, <c>S·(1 − λ)/λ</c> — the shift the Absolute form's γ applies (it adds γ·ê_j·ê_u), which trades
/// accuracy for guidance continuously — and normalising by S makes a given λ mean the same whatever the scale
/// of the model's g (dot products, cosines, look-aheads). From λ = 0.5 down every g_λ ≥ 0, so the ranking is
/// by p̂·(g + shift). The reported <see cref="RankedItem.Score"/> stays <c>p̂·g</c>.</para>
/// <para>Immutable and thread-safe: one instance serves concurrent requests. Per-call buffers are pooled,
/// so the span-based methods allocate nothing in steady state.</para>
/// <para>Top-K is a partial selection (O(n log K)); equal keys are ordered by the lower item id. The
/// paper's single recommendation is the first entry of the same call with K = 1.</para>
/// <para>"Iterative": re-encode the user's latest history every round (the look-ahead is only inside the
/// score, never a replacement for encoding).</para>
/// <para>Items whose score is NaN (e.g. a NaN probability from a custom encoder, or a candidate a shortlisting
/// model left out) are not returned.</para>
/// <para>Observability: metrics and activities under <see cref="IpgTelemetry"/>; a warning through the
/// logger when no candidate has positive guidance.</para>
/// </remarks>
public sealed class IpgReranker
{
    private readonly ILogger _logger;

    /// <summary>Creates a re-ranker over <paramref name="encoder"/>'s item table.</summary>
    /// <param name="encoder">Supplies the item table, user representations and probabilities.</param>
    /// <param name="options">Guidance model, negative-guidance policy and strength; <see cref="IpgOptions.Default"/> when null.</param>
    /// <param name="logger">Receives start-up information and negative-guidance warnings; none when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="encoder"/> is null, or the options have no guidance model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (see <see cref="IpgOptions.Validate"/>).</exception>
    /// <exception cref="ArgumentException">
    /// <see cref="IpgOptions.CompactTable"/> is set but was built from another table than the encoder's, or the guidance
    /// model or the encoder's p̂ cannot take the compact path (see <see cref="IpgOptions.CompactTable"/>).
    /// </exception>
    public IpgReranker(ISequentialEncoder encoder, IpgOptions? options = null, ILogger<IpgReranker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        options ??= IpgOptions.Default;
        options.Validate();
        if (options.CompactTable is { } compact)
        {
            ValidateCompactTable(encoder, options, compact);
        }

        Encoder = encoder;
        Options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Log.RerankerCreated(_logger, encoder.ItemCount, encoder.Dimension, options.Guidance.Name, options.NegativeGuidance, options.Strength);
    }

    /// <summary>The encoder whose item table and probabilities are used.</summary>
    public ISequentialEncoder Encoder { get; }

    /// <summary>The options this re-ranker was built with.</summary>
    public IpgOptions Options { get; }

    /// <summary>
    /// Prepares target item <paramref name="targetItemId"/> once (<c>ê_j·ê_i</c> for every item); reuse the result
    /// for every user and round of that target (or keep it in a <see cref="GuidanceTargetCache"/>).
    /// </summary>
    /// <param name="targetItemId">The target id in <c>1..N</c>.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetItemId"/> is outside <c>1..N</c>.</exception>
    public GuidanceTarget PrepareTarget(int targetItemId) => GuidanceTarget.Create(Encoder.ItemEmbeddings, targetItemId);

    /// <summary>Prepares a campaign target: several items with positive weights (see <see cref="GuidanceTarget"/>).</summary>
    /// <param name="members">The items and weights.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentException">The campaign is empty, repeats an id or has a weight that is not finite and positive.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>1..N</c>.</exception>
    public GuidanceTarget PrepareCampaign(ReadOnlySpan<WeightedItem> members) => GuidanceTarget.CreateCampaign(Encoder.ItemEmbeddings, members);

    /// <summary>Prepares a target that is any direction of the item space (e.g. a category centroid).</summary>
    /// <param name="vector">d finite values, not all zero.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentException">Wrong length, a non-finite component, or the zero vector.</exception>
    public GuidanceTarget PrepareTarget(ReadOnlySpan<float> vector) => GuidanceTarget.CreateFromVector(Encoder.ItemEmbeddings, vector);

    /// <summary>Re-ranks the whole catalogue for one user; writes the best <c>destination.Length</c> items.</summary>
    /// <param name="userEmbedding">ê_u, d finite values (e.g. from <see cref="ISequentialEncoder.Encode"/>).</param>
    /// <param name="target">The prepared target (from this encoder's table).</param>
    /// <param name="destination">Receives up to K = <c>destination.Length</c> (≥ 1) entries, best first.</param>
    /// <param name="excludedItems">Ids never returned (already seen or recommended); ids in <c>1..N</c>.</param>
    /// <param name="strength">λ in <c>[0, 1]</c> for this call; <see cref="IpgOptions.Strength"/> when null.</param>
    /// <returns>The number of entries written: <c>min(K, N − |excluded|)</c> (fewer only if scores are NaN).</returns>
    /// <remarks>No history is passed, so a look-ahead model that needs one (<see cref="ExactLookAheadGuidance"/>) scores with its shortlist model.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">Wrong user vector length or a non-finite component; empty destination; target from another table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An excluded id is outside <c>1..N</c>, or λ is out of range.</exception>
    public int RerankCatalogue(ReadOnlySpan<float> userEmbedding, GuidanceTarget target, Span<RankedItem> destination, ReadOnlySpan<int> excludedItems = default, float? strength = null)
    {
        float lambda = ResolveStrength(strength);
        var items = ValidateCommon(userEmbedding, target, destination.Length);
        items.ValidateItemIds(excludedItems, nameof(excludedItems));
        using var scratch = CatalogueScratch(destination.Length);
        Scoring.MarkIds(excludedItems, scratch.Bits);
        var request = new Request(default, false, -1, lambda);
        return RerankCore(userEmbedding, target, ReadOnlySpan<int>.Empty, excludedItems.IsEmpty ? default : scratch.Bits, destination, scratch, request);
    }

    /// <summary>
    /// Re-ranks a caller-supplied candidate list (e.g. from upstream retrieval) for one user; writes the
    /// best <c>destination.Length</c> candidates. Duplicate candidates count once (first occurrence).
    /// </summary>
    /// <param name="userEmbedding">ê_u, d finite values.</param>
    /// <param name="target">The prepared target (from this encoder's table).</param>
    /// <param name="candidates">Candidate ids in <c>1..N</c>; may be empty (nothing is returned).</param>
    /// <param name="destination">Receives up to K = <c>destination.Length</c> (≥ 1) entries, best first.</param>
    /// <param name="excludedItems">Ids never returned; ids in <c>1..N</c>.</param>
    /// <param name="strength">λ in <c>[0, 1]</c> for this call; <see cref="IpgOptions.Strength"/> when null.</param>
    /// <param name="history">
    /// The user's history (oldest first) when the caller has it, for look-ahead models that re-encode
    /// (<see cref="ExactLookAheadGuidance"/>); empty means "not given".
    /// </param>
    /// <returns>The number of entries written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">Wrong user vector length or a non-finite component; empty destination; target from another table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A candidate, excluded or history id is outside <c>1..N</c>, or λ is out of range.</exception>
    public int RerankCandidates(ReadOnlySpan<float> userEmbedding, GuidanceTarget target, ReadOnlySpan<int> candidates, Span<RankedItem> destination, ReadOnlySpan<int> excludedItems = default, float? strength = null, ReadOnlySpan<int> history = default)
    {
        float lambda = ResolveStrength(strength);
        var items = ValidateCommon(userEmbedding, target, destination.Length);
        items.ValidateItemIds(candidates, nameof(candidates));
        items.ValidateItemIds(excludedItems, nameof(excludedItems));
        items.ValidateItemIds(history, nameof(history));
        using var scratch = new ScoringScratch(candidates.Length, destination.Length, items.ItemCount);
        Scoring.MarkIds(excludedItems, scratch.Bits);
        int n = Scoring.CompactCandidates(candidates, scratch.Bits, scratch.Ids);
        if (n == 0)
        {
            return 0; // (an empty id list means "the whole catalogue" further down)
        }

        var request = new Request(history, !history.IsEmpty, -1, lambda);
        return RerankCore(userEmbedding, target, scratch.Ids[..n], default, destination, scratch, request);
    }

    /// <summary>
    /// Encodes <paramref name="history"/> with the encoder and re-ranks the whole catalogue: the one-call
    /// path for a single request. Look-ahead models see the history.
    /// </summary>
    /// <param name="history">The user's item ids, oldest first; may be empty.</param>
    /// <param name="target">The prepared target.</param>
    /// <param name="count">How many items to return (K ≥ 1).</param>
    /// <param name="excludedItems">Ids never returned.</param>
    /// <param name="strength">λ in <c>[0, 1]</c> for this call; <see cref="IpgOptions.Strength"/> when null.</param>
    /// <returns>Up to <paramref name="count"/> entries, best first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1, an id is outside <c>1..N</c>, or λ is out of range.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="target"/> was prepared over another item table.</exception>
    /// <exception cref="InvalidOperationException">The encoder returned a user representation with a NaN or infinite component.</exception>
    public RankedItem[] Recommend(ReadOnlySpan<int> history, GuidanceTarget target, int count, ReadOnlySpan<int> excludedItems = default, float? strength = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var result = new RankedItem[Math.Min(count, Encoder.ItemCount)];
        int written = Recommend(history, target, result.AsSpan(), excludedItems, strength);
        return written == result.Length ? result : result[..written];
    }

    /// <summary>
    /// The allocation-free form of <see cref="Recommend(ReadOnlySpan{int}, GuidanceTarget, int, ReadOnlySpan{int}, float?)"/>:
    /// encodes the history and writes the best <c>destination.Length</c> items.
    /// </summary>
    /// <param name="history">The user's item ids, oldest first; may be empty.</param>
    /// <param name="target">The prepared target.</param>
    /// <param name="destination">Receives up to K = <c>destination.Length</c> (≥ 1) entries, best first.</param>
    /// <param name="excludedItems">Ids never returned.</param>
    /// <param name="strength">λ in <c>[0, 1]</c> for this call; <see cref="IpgOptions.Strength"/> when null.</param>
    /// <returns>The number of entries written.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>1..N</c>, or λ is out of range.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">Empty destination, or <paramref name="target"/> was prepared over another item table.</exception>
    /// <exception cref="InvalidOperationException">The encoder returned a user representation with a NaN or infinite component.</exception>
    public int Recommend(ReadOnlySpan<int> history, GuidanceTarget target, Span<RankedItem> destination, ReadOnlySpan<int> excludedItems = default, float? strength = null)
    {
        float lambda = ResolveStrength(strength);
        ArgumentNullException.ThrowIfNull(target);
        if (destination.IsEmpty)
        {
            throw new ArgumentException("The destination must have room for at least one item (K ≥ 1).", nameof(destination));
        }

        var items = Encoder.ItemEmbeddings;
        target.EnsureSameTable(items, nameof(target));
        items.ValidateItemIds(history, nameof(history));
        items.ValidateItemIds(excludedItems, nameof(excludedItems));
        int d = Encoder.Dimension;
        float[]? rented = d <= 256 ? null : ArrayPool<float>.Shared.Rent(d);
        Span<float> user = rented is null ? stackalloc float[d] : rented.AsSpan(0, d);
        try
        {
            Encoder.Encode(history, user);
            int bad = ItemEmbeddingTable.IndexOfNonFinite(user);
            if (bad >= 0)
            {
                // The caller passed no vector, so an ArgumentException naming "userEmbedding" would blame the wrong party.
                throw new InvalidOperationException(
                    $"The encoder ({Encoder.GetType().Name}) returned a user representation whose component {bad} is {user[bad]} for a history of {history.Length} items; nothing was ranked.");
            }

            using var scratch = CatalogueScratch(destination.Length);
            Scoring.MarkIds(excludedItems, scratch.Bits);
            var request = new Request(history, true, -1, lambda);
            return RerankCore(user, target, ReadOnlySpan<int>.Empty, excludedItems.IsEmpty ? default : scratch.Bits, destination, scratch, request);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Re-ranks the whole catalogue for many users in parallel, all towards one target.</summary>
    /// <param name="userEmbeddings">Users × d values, row-major.</param>
    /// <param name="target">The prepared target.</param>
    /// <param name="count">K ≥ 1 entries per user.</param>
    /// <param name="destination">Users × K entries, row-major; row u receives user u's list, best first.</param>
    /// <param name="counts">One entry per user: how many entries of its row were written.</param>
    /// <param name="exclusions">Per-user exclusions (user index = row index), or null.</param>
    /// <param name="strength">λ in <c>[0, 1]</c> for this call; <see cref="IpgOptions.Strength"/> when null.</param>
    /// <param name="cancellationToken">Cancels between users.</param>
    /// <remarks>No histories are passed, so a look-ahead model that needs them scores with its shortlist model (use <c>IpgPolicy</c> (Ipg.Simulation) with histories).</remarks>
    /// <exception cref="ArgumentException">Lengths disagree, a user vector has a NaN or infinite component (nothing is written), or the exclusion mask has another shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1, or λ is out of range.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; rows already written stay valid.</exception>
    public void RerankBatch(ReadOnlyMemory<float> userEmbeddings, GuidanceTarget target, int count, Memory<RankedItem> destination, Memory<int> counts, ExclusionMask? exclusions = null, float? strength = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        RerankBatchCore(userEmbeddings, target, null, count, destination, counts, exclusions, strength, cancellationToken);
    }

    /// <summary>Re-ranks the whole catalogue for many users in parallel, each towards its own target.</summary>
    /// <param name="userEmbeddings">Users × d values, row-major.</param>
    /// <param name="targets">One prepared target per user (row index = user index); the same instance may repeat.</param>
    /// <param name="count">K ≥ 1 entries per user.</param>
    /// <param name="destination">Users × K entries, row-major; row u receives user u's list, best first.</param>
    /// <param name="counts">One entry per user: how many entries of its row were written.</param>
    /// <param name="exclusions">Per-user exclusions (user index = row index), or null.</param>
    /// <param name="strength">λ in <c>[0, 1]</c> for this call; <see cref="IpgOptions.Strength"/> when null.</param>
    /// <param name="cancellationToken">Cancels between users.</param>
    /// <exception cref="ArgumentNullException"><paramref name="targets"/> or one of its entries is null.</exception>
    /// <exception cref="ArgumentException">Lengths disagree (one target per user), a target comes from another table, a user vector is not finite, or the mask has another shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1, or λ is out of range.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; rows already written stay valid.</exception>
    public void RerankBatch(ReadOnlyMemory<float> userEmbeddings, IReadOnlyList<GuidanceTarget> targets, int count, Memory<RankedItem> destination, Memory<int> counts, ExclusionMask? exclusions = null, float? strength = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        RerankBatchCore(userEmbeddings, null, targets, count, destination, counts, exclusions, strength, cancellationToken);
    }

    private void RerankBatchCore(ReadOnlyMemory<float> userEmbeddings, GuidanceTarget? target, IReadOnlyList<GuidanceTarget>? targets, int count, Memory<RankedItem> destination, Memory<int> counts, ExclusionMask? exclusions, float? strength, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        float lambda = ResolveStrength(strength);
        int d = Encoder.Dimension;
        if (userEmbeddings.Length % d != 0)
        {
            throw new ArgumentException($"Length {userEmbeddings.Length} is not a multiple of the dimension {d}.", nameof(userEmbeddings));
        }

        int users = userEmbeddings.Length / d;
        if (destination.Length < (long)users * count)
        {
            throw new ArgumentException($"Need {users} × {count} entries, got {destination.Length}.", nameof(destination));
        }

        if (counts.Length < users)
        {
            throw new ArgumentException($"Need {users} counts, got {counts.Length}.", nameof(counts));
        }

        ValidateMask(exclusions, users, Encoder.ItemCount, nameof(exclusions));
        if (targets is null)
        {
            target!.EnsureSameTable(Encoder.ItemEmbeddings, nameof(target));
        }
        else
        {
            if (targets.Count != users)
            {
                throw new ArgumentException($"Need one target per user: {users} users, {targets.Count} targets.", nameof(targets));
            }

            for (int u = 0; u < users; u++)
            {
                var t = targets[u] ?? throw new ArgumentNullException(nameof(targets), $"Target {u} is null.");
                t.EnsureSameTable(Encoder.ItemEmbeddings, nameof(targets));
            }
        }

        // Checked up front: a bad row found inside Parallel.For would surface as an AggregateException after
        // other rows had already been written.
        ValidateFiniteRows(userEmbeddings.Span, d, nameof(userEmbeddings));
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.For(0, users, options, u =>
        {
            var user = userEmbeddings.Span.Slice(u * d, d);
            var row = destination.Span.Slice(u * count, count);
            var excluded = exclusions is null ? default : exclusions.Row(u);
            counts.Span[u] = RerankUser(ReadOnlySpan<int>.Empty, false, u, user, targets?[u] ?? target!, row, excluded, lambda);
        });
    }

    /// <summary>One user, catalogue-wide (a policy call, a batch row): validated, scratch rented, the chain run once.</summary>
    internal int RerankUser(ReadOnlySpan<int> history, bool hasHistory, int userIndex, ReadOnlySpan<float> user, GuidanceTarget target, Span<RankedItem> destination, ReadOnlySpan<ulong> excluded, float strength)
    {
        ValidateCommon(user, target, destination.Length);
        using var scratch = CatalogueScratch(destination.Length);
        return RerankCore(user, target, ReadOnlySpan<int>.Empty, excluded, destination, scratch, new Request(history, hasHistory, userIndex, strength));
    }

    /// <summary>The λ of a call: its own, or the options' default; validated.</summary>
    internal float ResolveStrength(float? strength)
    {
        float lambda = strength ?? Options.Strength;
        IpgOptions.ValidateStrength(lambda, nameof(strength));
        return lambda;
    }

    /// <summary>
    /// The ranking key of every candidate from p̂ and g at strength λ &gt; 0 (the class remarks give the formula):
    /// r_λ into <paramref name="scores"/>, the key (negative-guidance policy applied) into <paramref name="keys"/>.
    /// NaN guidance gives a NaN key (not a candidate).
    /// </summary>
    internal void RankingKeys(ReadOnlySpan<float> p, ReadOnlySpan<float> g, Span<float> scores, Span<float> keys, float strength, ReadOnlySpan<int> ids, ReadOnlySpan<ulong> excluded)
        => RankingKeys(p, g, scores, keys, strength, strength < 1f ? Scoring.MaxMagnitudeIgnoringNaN(g, ids, excluded) : 0f);

    /// <summary>
    /// <see cref="RankingKeys(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, float, ReadOnlySpan{int}, ReadOnlySpan{ulong})"/>
    /// with S (max |g| over the request's candidates) given: the compact path computes it over the whole catalogue
    /// and scores a part of it at a time. Element-wise: <paramref name="scores"/> may alias p̂'s logits, and
    /// <paramref name="keys"/> may alias <paramref name="g"/>.
    /// </summary>
    internal void RankingKeys(ReadOnlySpan<float> p, ReadOnlySpan<float> g, Span<float> scores, Span<float> keys, float strength, float scale)
    {
        ReadOnlySpan<float> shifted = g;
        if (strength < 1f)
        {
            TensorPrimitives.Multiply(g, strength, keys);
            TensorPrimitives.Add(keys, (1f - strength) * scale, keys);
            shifted = keys;
        }

        TensorPrimitives.Multiply(p, shifted, scores);
        if (Options.NegativeGuidance == NegativeGuidancePolicy.Raw)
        {
            scores.CopyTo(keys);
        }
        else
        {
            // Positive guidance first by r (r ≥ 0 there); the rest by p̂ alone, mapped to [−2, −1] so it
            // always ranks below the positive tier. Element-wise, so shifted may alias keys.
            Scoring.AccuracyFallbackKeys(p, shifted, scores, keys);
        }
    }

    private ItemEmbeddingTable ValidateCommon(ReadOnlySpan<float> user, GuidanceTarget target, int k)
    {
        ArgumentNullException.ThrowIfNull(target);
        var items = Encoder.ItemEmbeddings;
        target.EnsureSameTable(items, nameof(target));
        Scoring.ValidateVector(user, items.Dimension, "userEmbedding");
        if (k < 1)
        {
            throw new ArgumentException("The destination must have room for at least one item (K ≥ 1).", "destination");
        }

        return items;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the row and component of the first NaN or infinite value.</summary>
    internal static void ValidateFiniteRows(ReadOnlySpan<float> rows, int dimension, string paramName)
    {
        int bad = ItemEmbeddingTable.IndexOfNonFinite(rows);
        if (bad >= 0)
        {
            throw new ArgumentException($"User {bad / dimension}, component {bad % dimension} is {rows[bad]}; user vectors must be finite.", paramName);
        }
    }

    internal static void ValidateMask(ExclusionMask? mask, int users, int itemCount, string paramName)
    {
        if (mask is not null && (mask.UserCount < users || mask.ItemCount != itemCount))
        {
            throw new ArgumentException(
                $"The exclusion mask is {mask.UserCount} users × {mask.ItemCount} items; need at least {users} users × {itemCount} items.", paramName);
        }
    }

    /// <summary>The scoring chain of spec §2 over the candidates (or the whole catalogue when ids is empty), then top-K.</summary>
    private int RerankCore(ReadOnlySpan<float> user, GuidanceTarget target, ReadOnlySpan<int> ids, ReadOnlySpan<ulong> excluded, Span<RankedItem> destination, ScoringScratch scratch, in Request request)
    {
        var items = target.Items;
        bool catalogue = ids.IsEmpty;
        int n = catalogue ? items.ItemCount : ids.Length;
        if (n == 0)
        {
            return 0;
        }

        long started = Stopwatch.GetTimestamp();
        int shortlist = catalogue ? CompactShortlistSize(destination.Length, n) : 0;
        using var activity = IpgTelemetry.Source.StartActivity("Ipg.Rerank");
        if (activity is not null)
        {
            activity.SetTag("ipg.target", target.ItemId);
            activity.SetTag("ipg.target.kind", target.Kind.ToString());
            activity.SetTag("ipg.guidance", Options.Guidance.Name);
            activity.SetTag("ipg.strength", request.Strength);
            activity.SetTag("ipg.candidates", n);
            activity.SetTag("ipg.k", destination.Length);
            if (shortlist > 0)
            {
                activity.SetTag("ipg.compact.shortlist", shortlist);
            }
        }

        int written;
        if (shortlist > 0)
        {
            written = RerankCompact(user, target, excluded, destination, scratch, shortlist, request);
        }
        else
        {
            var logits = scratch.Logits[..n];
            if (catalogue)
            {
                Scoring.CatalogueLogits(user, items, logits);
            }
            else
            {
                Scoring.CandidateLogits(user, items, ids, logits);
            }

            written = RankFromLogits(user, target, ids, excluded, logits, scratch.Probabilities[..n], scratch.Guidance[..n], scratch.Keys[..n], scratch.Order[..destination.Length], destination, request, float.NaN, n);
        }

        IpgTelemetry.CandidatesScored.Add(n);
        IpgTelemetry.RerankDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        return written;
    }

    /// <summary>
    /// The chain from the logits on: p̂, g (the guidance model), the ranking keys, top-K, the entries. The probability
    /// lane may be longer than the candidates (the compact re-score pads it so that p̂ takes the catalogue's vector
    /// path); <paramref name="logitLane"/> has the same length. <paramref name="scale"/> is S for λ &lt; 1, or NaN to
    /// compute it over these candidates. <paramref name="scored"/> is what the warning reports as scored.
    /// </summary>
    private int RankFromLogits(ReadOnlySpan<float> user, GuidanceTarget target, ReadOnlySpan<int> ids, ReadOnlySpan<ulong> excluded, Span<float> logitLane, Span<float> probabilityLane, Span<float> guidance, Span<float> keyLane, Span<int> order, Span<RankedItem> destination, in Request request, float scale, int scored)
    {
        bool catalogue = ids.IsEmpty;
        int n = catalogue ? target.Items.ItemCount : ids.Length;
        Probabilities(logitLane, probabilityLane);
        var logits = logitLane[..n];
        var p = probabilityLane[..n];
        var g = guidance[..n];
        var keys = keyLane[..n];

        // r = p̂ · g ends up in Logits' place (the logits are no longer needed once the keys exist).
        var r = logits;
        if (request.Strength == 0f)
        {
            // λ = 0: the base recommender, ranked by the logit (full resolution where the sigmoid saturates).
            logits.CopyTo(keys);
            g.Clear();
            r.Clear();
        }
        else
        {
            var context = new GuidanceContext(this, user, request.History, request.HasHistory, request.UserIndex, target, ids, n, p, excluded, destination.Length, request.Strength);
            Options.Guidance.ComputeGuidance(context, g);
            if (float.IsNaN(scale))
            {
                RankingKeys(p, g, r, keys, request.Strength, ids, excluded);
            }
            else
            {
                RankingKeys(p, g, r, keys, request.Strength, scale);
            }

            if (request.Strength < 1f)
            {
                TensorPrimitives.Multiply(p, g, r);
            }
        }

        int written = TopKSelector.Select<float>(keys, ids, excluded, order);
        for (int k = 0; k < written; k++)
        {
            int pos = order[k];
            destination[k] = new RankedItem(catalogue ? pos + 1 : ids[pos], p[pos], g[pos], r[pos]);
        }

        if (written > 0 && request.Strength > 0f && !(destination[0].Guidance > 0f) && (IpgTelemetry.NegativeGuidance.Enabled || _logger.IsEnabled(LogLevel.Debug)))
        {
            // The top entry has g ≤ 0: under AccuracyFallback that means no candidate had g > 0; under Raw,
            // r_top ≤ 0 can only happen when every candidate's g ≤ 0 (p̂ > 0), so check the maximum.
            if (TensorPrimitives.Max(g) <= 0f)
            {
                IpgTelemetry.NegativeGuidance.Add(1);
                Log.NoPositiveGuidance(_logger, target.Description, scored, Options.NegativeGuidance);
            }
        }

        return written;
    }

    /// <summary>p̂ of the logits: the options' calibration, or the encoder's own.</summary>
    private void Probabilities(ReadOnlySpan<float> logits, Span<float> destination)
    {
        if (Options.Acceptance is { } acceptance)
        {
            acceptance.Apply(logits, destination);
        }
        else
        {
            Encoder.ComputeProbabilities(logits, destination);
        }
    }

    /// <summary>
    /// M for a catalogue call of K entries over n items, or 0 when the call scores every item in fp32 (no compact
    /// table, or a shortlist — padded to <see cref="CompactLane"/> — of more than half the catalogue).
    /// </summary>
    private int CompactShortlistSize(int k, int n)
    {
        if (Options.CompactTable is null)
        {
            return 0;
        }

        int m = Math.Max(k, Options.CompactShortlist ?? Math.Max(4 * k, 256));
        return 2L * Math.Max(m, CompactLane) <= n ? m : 0;
    }

    /// <summary>
    /// The two-stage catalogue pass (<see cref="IpgOptions.CompactTable"/>).
    /// <para>Stage 1, one tile of <see cref="CompactItemTable.Tile"/> items at a time: int8 logits (one pass over the
    /// compact table) and the exact g of every item (<see cref="ITermGuidance"/> reads no logit), then the approximate
    /// ranking key — p̂ of the int8 logit, g, the catalogue's exact S — of the items that can still reach the best M.
    /// The key is non-decreasing in p̂ (the sigmoid or a calibration: non-decreasing in the logit) for g_λ &gt; 0 and
    /// under the fallback, so an item's key is at most the key of p̂(its block's greatest logit) with its own g (under
    /// the raw product a negative g_λ favours a small p̂, so the block's least logit bounds it too). A block is a column
    /// of the tile seen as rows of <see cref="CompactItemTable.TileLanes"/> items, so one p̂ per block serves every
    /// row, and a tile costs two p̂ calls of a row's length instead of one per item. Items whose bound is below the
    /// current M-th key (less a margin of 2⁻²⁰ for the rounding of p̂) are skipped; the others get their p̂ and key, and
    /// those at or above the threshold join a candidate list, which <see cref="TopKSelector"/> cuts back to the best M
    /// (raising the threshold) whenever it fills.</para>
    /// <para>Stage 2: the best M of the candidates re-scored by the fp32 chain — logits bit for bit as the catalogue
    /// pass computes them, p̂, the guidance model's g, the keys with the same S — and the exact top-K of them.</para>
    /// <para>Buffers (<see cref="CompactScratchLength"/>, no N-sized one): a tile's logits, p̂ bounds, g and bounds, and
    /// the shortlist's lanes behind them; the candidates' keys behind the bounds; candidate ids, a tile's survivors and
    /// the selection order in the id lane.</para>
    /// </summary>
    private int RerankCompact(ReadOnlySpan<float> user, GuidanceTarget target, ReadOnlySpan<ulong> excluded, Span<RankedItem> destination, ScoringScratch scratch, int shortlist, in Request request)
    {
        const int tile = CompactItemTable.Tile;
        const int lanes = CompactItemTable.TileLanes;
        var compact = Options.CompactTable!;
        var items = target.Items;
        int n = items.ItemCount;
        float strength = request.Strength;
        bool raw = Options.NegativeGuidance == NegativeGuidancePolicy.Raw;
        int lane = Math.Max(shortlist, CompactLane);
        int capacity = CompactCandidateCapacity(lane);
        var model = strength > 0f ? (ITermGuidance)Options.Guidance : null;
        float userTerm = model is null ? 0f : model.UserTerm(target, user);
        float scale = 0f;
        if (model is not null && strength < 1f && !TryCatalogueScale(model, target, userTerm, excluded, out scale))
        {
            return 0; // every item is excluded
        }

        var terms = model is null ? default : target.Term(model.Term);
        Span<byte> buffer = stackalloc byte[DotKernels.QuantizedBufferBytes(items.Dimension)];
        var quantised = new QuantizedVector(user, buffer);
        Span<float> blocks = stackalloc float[2 * lanes];
        var maxLogit = blocks[..lanes];
        var minLogit = blocks.Slice(lanes, lanes);

        // Lanes: logits of the tile | shortlist; p̂ bound of every item, then the survivors' p̂ | shortlist; g of the
        // tile | shortlist; bounds, then the survivors' keys | candidates' keys. Ids: candidates | a tile's survivors | order.
        var logits = scratch.Logits[..tile];
        var pBound = scratch.Probabilities[..tile];
        var g = scratch.Guidance[..tile];
        var bounds = scratch.Keys[..tile];
        var candidateKeys = scratch.Keys.Slice(tile, capacity);
        var candidateIds = scratch.Ids[..capacity];
        var positions = scratch.Ids.Slice(capacity, tile);
        var order = scratch.Ids.Slice(capacity + tile, lane);
        int count = 0;
        float threshold = float.NegativeInfinity;
        for (int start = 0; start < n; start += tile)
        {
            int length = Math.Min(tile, n - start);
            var tileLogits = logits[..length];
            compact.ApproximateLogits(quantised, start, tileLogits);
            var tileG = g[..length];
            if (model is not null)
            {
                model.Guidance(terms.Slice(start + 1, length), userTerm, tileG);
            }

            int pending = 0;
            if (length == tile && threshold > float.NegativeInfinity)
            {
                // Bound every item's key by the key of p̂(its block's greatest logit) with its own g (p̂ of the least
                // logit too under the raw product, where a negative g favours a small p̂); blocks are the columns of
                // the tile seen as rows of `lanes` items, so one p̂ per block serves a whole row at once.
                if (model is null)
                {
                    tileLogits.CopyTo(bounds); // λ = 0: the key is the logit itself
                }
                else
                {
                    Scoring.StridedMaxMin(tileLogits, maxLogit, minLogit);
                    Probabilities(maxLogit, maxLogit);
                    for (int row = 0; row < tile; row += lanes)
                    {
                        maxLogit.CopyTo(pBound.Slice(row, lanes));
                    }

                    RankingKeys(pBound, tileG, scratch.Logits.Slice(tile, tile), bounds, strength, scale);
                    if (raw)
                    {
                        Probabilities(minLogit, minLogit);
                        for (int row = 0; row < tile; row += lanes)
                        {
                            minLogit.CopyTo(pBound.Slice(row, lanes));
                        }

                        var low = scratch.Guidance.Slice(tile, tile);
                        RankingKeys(pBound, tileG, scratch.Logits.Slice(tile, tile), low, strength, scale);
                        TensorPrimitives.Max(bounds, low, bounds);
                    }
                }

                float cut = threshold - (MathF.Abs(threshold) * (1f / (1 << 20)));
                pending = Scoring.IndicesAtLeast(bounds, cut, positions);
            }
            else
            {
                for (int q = 0; q < length; q++)
                {
                    positions[q] = q;
                }

                pending = length;
            }

            if (pending == 0)
            {
                continue;
            }

            var chosen = positions[..pending];
            var p = pBound[..pending];
            var keys = bounds[..pending];
            for (int j = 0; j < pending; j++)
            {
                p[j] = tileLogits[chosen[j]];
            }

            if (model is null)
            {
                p.CopyTo(keys);
            }
            else
            {
                // The survivors' own g, gathered in place (positions ascend, so j ≤ chosen[j]).
                for (int j = 0; j < pending; j++)
                {
                    tileG[j] = tileG[chosen[j]];
                }

                Probabilities(p, p);
                RankingKeys(p, tileG[..pending], tileLogits[..pending], keys, strength, scale);
            }

            for (int j = 0; j < pending; j++)
            {
                float key = keys[j];
                if (key >= threshold)
                {
                    candidateKeys[count] = key;
                    candidateIds[count++] = start + chosen[j] + 1;
                }
            }

            if (count > capacity - tile)
            {
                count = KeepBest(candidateKeys, candidateIds, count, excluded, order[..shortlist], out threshold);
            }
        }

        int m = TopKSelector.Select<float>(candidateKeys[..count], candidateIds[..count], excluded, order[..shortlist]);
        if (m == 0)
        {
            return 0;
        }

        var ids = order[..m];
        var exactLogits = scratch.Logits.Slice(2 * tile, lane);
        exactLogits[m..].Clear();
        var itemRows = items.ItemRows;
        var biases = items.HasBiases ? items.Biases : default;
        for (int j = 0; j < m; j++)
        {
            int id = candidateIds[ids[j]];
            float logit = DotKernels.RowDotAt(user, itemRows, id - 1, n);
            exactLogits[j] = biases.IsEmpty ? logit : logit + biases[id];
            ids[j] = id;
        }

        return RankFromLogits(user, target, ids, excluded, exactLogits, scratch.Probabilities.Slice(tile, lane), scratch.Guidance.Slice(tile, lane), scratch.Keys[..lane], scratch.Order[..destination.Length], destination, request, scale, n);
    }

    /// <summary>
    /// Cuts the candidate list back to its best <c>order.Length</c> (the one top-K: same ties, exclusions skipped),
    /// in place; the threshold becomes the worst kept key once the list is full, −∞ otherwise.
    /// </summary>
    private static int KeepBest(Span<float> keys, Span<int> ids, int count, ReadOnlySpan<ulong> excluded, Span<int> order, out float threshold)
    {
        int kept = TopKSelector.Select<float>(keys[..count], ids[..count], excluded, order);
        threshold = kept == order.Length ? keys[order[kept - 1]] : float.NegativeInfinity;
        var positions = order[..kept];
        positions.Sort();
        for (int j = 0; j < kept; j++)
        {
            // Ascending positions: position j is at or after j, so moving it forward overwrites nothing still needed.
            keys[j] = keys[positions[j]];
            ids[j] = ids[positions[j]];
        }

        return kept;
    }

    /// <summary>How many candidates the compact first stage holds at most: twice the lane and one tile's worth before it cuts back.</summary>
    private static int CompactCandidateCapacity(int lane) => (2 * lane) + CompactItemTable.Tile;

    /// <summary>The lane length of <see cref="ScoringScratch"/> a compact call of shortlist <paramref name="shortlist"/> needs.</summary>
    private static int CompactScratchLength(int shortlist)
    {
        int lane = Math.Max(shortlist, CompactLane);
        return CompactCandidateCapacity(lane) + (2 * CompactItemTable.Tile) + lane;
    }

    /// <summary>Pooled buffers for one catalogue-wide call of K entries: N-sized lanes, or the compact path's smaller ones.</summary>
    private ScoringScratch CatalogueScratch(int k)
    {
        int n = Encoder.ItemCount;
        int shortlist = CompactShortlistSize(k, n);
        return new ScoringScratch(shortlist > 0 ? CompactScratchLength(shortlist) : n, k, n);
    }

    /// <summary>
    /// S = max |g| over the items not excluded, exactly as the fp32 chain finds it: g is non-decreasing in the model's
    /// per-item term, so the maximum is at the term's least or greatest value (cached per target; searched again only
    /// when an exclusion removes one of them). False when every item is excluded.
    /// </summary>
    private static bool TryCatalogueScale(ITermGuidance model, GuidanceTarget target, float userTerm, ReadOnlySpan<ulong> excluded, out float scale)
    {
        var (minId, maxId) = target.TermExtremes(model.Term);
        if (!excluded.IsEmpty && (IsSet(excluded, minId) || IsSet(excluded, maxId))
            && !Scoring.TermExtremes(target.Term(model.Term), excluded, out minId, out maxId))
        {
            scale = 0f;
            return false;
        }

        var terms = target.Term(model.Term);
        Span<float> g = stackalloc float[2];
        model.Guidance(terms.Slice(minId, 1), userTerm, g[..1]);
        model.Guidance(terms.Slice(maxId, 1), userTerm, g[1..]);
        scale = MathF.Max(MathF.Abs(g[0]), MathF.Abs(g[1]));
        return true;

        static bool IsSet(ReadOnlySpan<ulong> bits, int id) => (bits[id >> 6] & (1UL << (id & 63))) != 0;
    }

    /// <summary>Throws unless the compact table belongs to the encoder and the options can take the compact path.</summary>
    private static void ValidateCompactTable(ISequentialEncoder encoder, IpgOptions options, CompactItemTable compact)
    {
        if (!ReferenceEquals(compact.Source, encoder.ItemEmbeddings))
        {
            throw new ArgumentException(
                $"IpgOptions.CompactTable was built from another item table (N = {compact.ItemCount}, d = {compact.Dimension}) than the encoder's (N = {encoder.ItemCount}, d = {encoder.Dimension}); build it with new CompactItemTable(encoder.ItemEmbeddings).",
                nameof(options));
        }

        if (options.Guidance is not ITermGuidance)
        {
            throw new ArgumentException(
                $"IpgOptions.CompactTable needs a guidance model whose g does not depend on p̂ or the logits (LinearGuidance, CosineGuidance, a LookAheadFit's model); {options.Guidance.Name} ({options.Guidance.GetType().Name}) is not one. Drop CompactTable for it.",
                nameof(options));
        }

        if (options.Acceptance is null)
        {
            // The compact path computes p̂ over tiles and over the shortlist, so p̂ of an item must not depend on the
            // other logits of the call (a softmax over the catalogue does).
            Span<float> a = stackalloc float[32];
            Span<float> b = stackalloc float[32];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (i - 16) * 0.25f;
                b[i] = i == 0 ? a[0] : 3f + i;
            }

            encoder.ComputeProbabilities(a, a);
            encoder.ComputeProbabilities(b, b);
            if (!a[0].Equals(b[0]))
            {
                throw new ArgumentException(
                    $"IpgOptions.CompactTable needs an element-wise p̂, but the encoder's ({encoder.GetType().Name}) ComputeProbabilities depends on the other logits of the call (a softmax over the catalogue); set IpgOptions.Acceptance or drop CompactTable.",
                    nameof(options));
            }
        }
    }

    /// <summary>The shortest probability lane of the exact re-score, so that p̂ takes the same vector path as over the catalogue.</summary>
    private const int CompactLane = 64;

    /// <summary>The per-call facts the chain passes to the guidance model.</summary>
    private readonly ref struct Request(ReadOnlySpan<int> history, bool hasHistory, int userIndex, float strength)
    {
        public ReadOnlySpan<int> History { get; } = history;

        public bool HasHistory { get; } = hasHistory;

        public int UserIndex { get; } = userIndex;

        public float Strength { get; } = strength;
    }
}
