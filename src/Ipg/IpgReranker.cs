using System.Diagnostics;
using System.Numerics.Tensors;
using Ipg.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ipg;

/// <summary>
/// The Iterative Preference Guidance re-ranker (Bi et al., WWW 2024; spec §2). For every candidate i it
/// computes the interaction probability p̂ (from the encoder), the guiding score g towards a target j
/// under the linear assumption <c>ê_u' = γ·ê_u + (1 − γ)·ê_i</c>, and ranks by <c>r = p̂·g</c>.
/// </summary>
/// <remarks>
/// <para>Immutable and thread-safe: one instance serves concurrent requests. Per-call buffers are pooled,
/// so the span-based methods allocate nothing in steady state.</para>
/// <para>Top-K is a partial selection (O(n log K)); equal keys are ordered by the lower item id. The
/// paper's single recommendation is the first entry of the same call with K = 1.</para>
/// <para>"Iterative": re-encode the user's latest history every round (the linear update is only a
/// one-step look-ahead inside the score, never a replacement for encoding).</para>
/// <para>Items whose score is NaN (e.g. a NaN probability from a custom encoder) are left out of the
/// result rather than ranked arbitrarily.</para>
/// <para>Observability: metrics and activities under <see cref="IpgTelemetry"/>; a warning through the
/// logger when no candidate has positive guidance.</para>
/// </remarks>
public sealed class IpgReranker
{
    private readonly ILogger _logger;

    /// <summary>Creates a re-ranker over <paramref name="encoder"/>'s item table.</summary>
    /// <param name="encoder">Supplies the item table, user representations and probabilities.</param>
    /// <param name="options">Form, γ and negative-guidance policy; <see cref="IpgOptions.Default"/> when null.</param>
    /// <param name="logger">Receives start-up information and negative-guidance warnings; none when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="encoder"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (see <see cref="IpgOptions.Validate"/>).</exception>
    public IpgReranker(ISequentialEncoder encoder, IpgOptions? options = null, ILogger<IpgReranker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        options ??= IpgOptions.Default;
        options.Validate();
        Encoder = encoder;
        Options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Log.RerankerCreated(_logger, encoder.ItemCount, encoder.Dimension, options.Form, options.Gamma, options.NegativeGuidance);
    }

    /// <summary>The encoder whose item table and probabilities are used.</summary>
    public ISequentialEncoder Encoder { get; }

    /// <summary>The options this re-ranker was built with.</summary>
    public IpgOptions Options { get; }

    /// <summary>
    /// Prepares <paramref name="targetItemId"/> once (<c>ê_j·ê_i</c> for every item); reuse the result for
    /// every user and round of that target.
    /// </summary>
    /// <param name="targetItemId">The target id in <c>1..N</c>.</param>
    /// <returns>The prepared target.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetItemId"/> is outside <c>1..N</c>.</exception>
    public GuidanceTarget PrepareTarget(int targetItemId) => GuidanceTarget.Create(Encoder.ItemEmbeddings, targetItemId);

    /// <summary>Re-ranks the whole catalogue for one user; writes the best <c>destination.Length</c> items.</summary>
    /// <param name="userEmbedding">ê_u, d finite values (e.g. from <see cref="ISequentialEncoder.Encode"/>).</param>
    /// <param name="target">The prepared target (from this encoder's table).</param>
    /// <param name="destination">Receives up to K = <c>destination.Length</c> (≥ 1) entries, best first.</param>
    /// <param name="excludedItems">Ids never returned (already seen or recommended); ids in <c>1..N</c>.</param>
    /// <returns>The number of entries written: <c>min(K, N − |excluded|)</c> (fewer only if scores are NaN).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">Wrong user vector length or a non-finite component; empty destination; target from another table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An excluded id is outside <c>1..N</c>.</exception>
    /// <exception cref="InvalidOperationException">The options ask for the exact look-ahead, which needs the history (use <see cref="Recommend"/>).</exception>
    public int RerankCatalogue(ReadOnlySpan<float> userEmbedding, GuidanceTarget target, Span<RankedItem> destination, ReadOnlySpan<int> excludedItems = default)
    {
        EnsureLinear();
        var items = ValidateCommon(userEmbedding, target, destination.Length);
        items.ValidateItemIds(excludedItems, nameof(excludedItems));
        using var scratch = new ScoringScratch(items.ItemCount, destination.Length, items.ItemCount);
        Scoring.MarkIds(excludedItems, scratch.Bits);
        return RerankCore(userEmbedding, target, ReadOnlySpan<int>.Empty, catalogue: true, excludedItems.IsEmpty ? default : scratch.Bits, destination, scratch);
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
    /// <returns>The number of entries written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">Wrong user vector length or a non-finite component; empty destination; target from another table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A candidate or excluded id is outside <c>1..N</c>.</exception>
    /// <exception cref="InvalidOperationException">The options ask for the exact look-ahead, which needs the history (use <see cref="Recommend"/>).</exception>
    public int RerankCandidates(ReadOnlySpan<float> userEmbedding, GuidanceTarget target, ReadOnlySpan<int> candidates, Span<RankedItem> destination, ReadOnlySpan<int> excludedItems = default)
    {
        EnsureLinear();
        var items = ValidateCommon(userEmbedding, target, destination.Length);
        items.ValidateItemIds(candidates, nameof(candidates));
        items.ValidateItemIds(excludedItems, nameof(excludedItems));
        using var scratch = new ScoringScratch(candidates.Length, destination.Length, items.ItemCount);
        Scoring.MarkIds(excludedItems, scratch.Bits);
        int n = Scoring.CompactCandidates(candidates, scratch.Bits, scratch.Ids);
        return RerankCore(userEmbedding, target, scratch.Ids[..n], catalogue: false, default, destination, scratch);
    }

    /// <summary>
    /// Encodes <paramref name="history"/> with the encoder and re-ranks the whole catalogue: the one-call
    /// path for a single request. Honours <see cref="IpgOptions.LookAhead"/>.
    /// </summary>
    /// <param name="history">The user's item ids, oldest first; may be empty.</param>
    /// <param name="target">The prepared target.</param>
    /// <param name="count">How many items to return (K ≥ 1).</param>
    /// <param name="excludedItems">Ids never returned.</param>
    /// <returns>Up to <paramref name="count"/> entries, best first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1, or an id is outside <c>1..N</c>.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="target"/> was prepared over another item table.</exception>
    /// <exception cref="InvalidOperationException">The encoder returned a user representation with a NaN or infinite component.</exception>
    public RankedItem[] Recommend(ReadOnlySpan<int> history, GuidanceTarget target, int count, ReadOnlySpan<int> excludedItems = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(target);
        var items = Encoder.ItemEmbeddings;
        target.EnsureSameTable(items, nameof(target));
        items.ValidateItemIds(history, nameof(history));
        items.ValidateItemIds(excludedItems, nameof(excludedItems));
        Span<float> user = Encoder.Dimension <= 256 ? stackalloc float[Encoder.Dimension] : new float[Encoder.Dimension];
        Encoder.Encode(history, user);
        int bad = ItemEmbeddingTable.IndexOfNonFinite(user);
        if (bad >= 0)
        {
            // The caller passed no vector, so an ArgumentException naming "userEmbedding" would blame the wrong party.
            throw new InvalidOperationException(
                $"The encoder ({Encoder.GetType().Name}) returned a user representation whose component {bad} is {user[bad]} for a history of {history.Length} items; nothing was ranked.");
        }
        var result = new RankedItem[Math.Min(count, Encoder.ItemCount)];
        var bits = new ulong[(items.ItemCount >> 6) + 1];
        Scoring.MarkIds(excludedItems, bits);
        int written = RerankUser(history, user, target, result, excludedItems.IsEmpty ? default : bits);
        return written == result.Length ? result : result[..written];
    }

    /// <summary>
    /// Re-ranks the whole catalogue for many users in parallel.
    /// </summary>
    /// <param name="userEmbeddings">Users × d values, row-major.</param>
    /// <param name="target">The prepared target.</param>
    /// <param name="count">K ≥ 1 entries per user.</param>
    /// <param name="destination">Users × K entries, row-major; row u receives user u's list, best first.</param>
    /// <param name="counts">One entry per user: how many entries of its row were written.</param>
    /// <param name="exclusions">Per-user exclusions (user index = row index), or null.</param>
    /// <param name="cancellationToken">Cancels between users.</param>
    /// <exception cref="ArgumentException">Lengths disagree, a user vector has a NaN or infinite component (nothing is written), or the exclusion mask has another shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; rows already written stay valid.</exception>
    /// <exception cref="InvalidOperationException">The options ask for the exact look-ahead, which needs the histories (use <see cref="Policies.IpgPolicy"/>).</exception>
    public void RerankBatch(ReadOnlyMemory<float> userEmbeddings, GuidanceTarget target, int count, Memory<RankedItem> destination, Memory<int> counts, ExclusionMask? exclusions = null, CancellationToken cancellationToken = default)
    {
        EnsureLinear();
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
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
        target.EnsureSameTable(Encoder.ItemEmbeddings, nameof(target));

        // Checked up front: a bad row found inside Parallel.For would surface as an AggregateException after
        // other rows had already been written.
        ValidateFiniteRows(userEmbeddings.Span, d, nameof(userEmbeddings));
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.For(0, users, options, u =>
        {
            var user = userEmbeddings.Span.Slice(u * d, d);
            var row = destination.Span.Slice(u * count, count);
            counts.Span[u] = RerankOne(user, target, row, exclusions, u);
        });
    }

    /// <summary>One user of a batch: catalogue-wide, linear look-ahead, exclusions from a mask row.</summary>
    internal int RerankOne(ReadOnlySpan<float> user, GuidanceTarget target, Span<RankedItem> destination, ExclusionMask? exclusions, int userIndex)
    {
        var excluded = exclusions is null ? default : exclusions.Row(userIndex);
        return RerankUser(ReadOnlySpan<int>.Empty, user, target, destination, excluded, forceLinear: true);
    }

    /// <summary>One user, catalogue-wide, in the configured look-ahead mode (a policy call or <see cref="Recommend"/>).</summary>
    internal int RerankUser(ReadOnlySpan<int> history, ReadOnlySpan<float> user, GuidanceTarget target, Span<RankedItem> destination, ReadOnlySpan<ulong> excluded, bool forceLinear = false)
    {
        var items = ValidateCommon(user, target, destination.Length);
        if (forceLinear || Options.LookAhead == LookAheadMode.Linear)
        {
            using var scratch = new ScoringScratch(items.ItemCount, destination.Length, items.ItemCount);
            return RerankCore(user, target, ReadOnlySpan<int>.Empty, catalogue: true, excluded, destination, scratch);
        }

        return RerankExact(history, user, target, destination, excluded);
    }

    /// <summary>
    /// The exact look-ahead (<see cref="LookAheadMode.Exact"/>): shortlist M candidates by the linear score,
    /// re-encode <c>s ⊕ i</c> for each in one batch, and re-score with the encoder's real next state.
    /// </summary>
    private int RerankExact(ReadOnlySpan<int> history, ReadOnlySpan<float> user, GuidanceTarget target, Span<RankedItem> destination, ReadOnlySpan<ulong> excluded)
    {
        var items = target.Items;
        int d = items.Dimension;
        int m = Math.Min(Math.Max(Options.ExactCandidates, destination.Length), items.ItemCount);
        var shortlist = new RankedItem[m];
        int found;
        using (var scratch = new ScoringScratch(items.ItemCount, m, items.ItemCount))
        {
            found = RerankCore(user, target, ReadOnlySpan<int>.Empty, catalogue: true, excluded, shortlist, scratch);
        }

        if (found == 0)
        {
            return 0;
        }

        // s ⊕ i for every shortlisted i; the encoder would drop the oldest items beyond its maximum anyway.
        int keep = Math.Min(history.Length, Math.Max(0, Encoder.MaxHistoryLength - 1));
        var recent = history[^keep..];
        var extended = new int[found * (keep + 1)];
        var histories = new ReadOnlyMemory<int>[found];
        for (int c = 0; c < found; c++)
        {
            var slot = extended.AsMemory(c * (keep + 1), keep + 1);
            recent.CopyTo(slot.Span);
            slot.Span[keep] = shortlist[c].ItemId;
            histories[c] = slot;
        }

        var next = new float[found * d];
        Encoder.EncodeBatch(histories, next);

        var targetEmbedding = target.Embedding;
        float userDotTarget = TensorPrimitives.Dot(user, targetEmbedding);
        float userNorm = TensorPrimitives.Norm(user);
        float userCosine = userNorm * target.Norm > 0f ? userDotTarget / (userNorm * target.Norm) : 0f;
        var keys = new float[found];
        for (int c = 0; c < found; c++)
        {
            var after = next.AsSpan(c * d, d);
            float afterDotTarget = TensorPrimitives.Dot(after, targetEmbedding);
            float g = Options.Form switch
            {
                GuidanceForm.Increase => afterDotTarget - userDotTarget,
                GuidanceForm.Absolute => afterDotTarget,
                _ => CosineOrZero(afterDotTarget, TensorPrimitives.Norm(after) * target.Norm) - userCosine,
            };
            float p = shortlist[c].Probability;
            float r = p * g;
            shortlist[c] = new RankedItem(shortlist[c].ItemId, p, g, r);
            keys[c] = Options.NegativeGuidance == NegativeGuidancePolicy.Raw || g > 0f ? r : p - 2f;
        }

        var ids = new int[found];
        for (int c = 0; c < found; c++)
        {
            ids[c] = shortlist[c].ItemId;
        }

        var order = new int[Math.Min(destination.Length, found)];
        int written = TopKSelector.Select(keys, ids, default, order);
        for (int k = 0; k < written; k++)
        {
            destination[k] = shortlist[order[k]];
        }

        return written;
    }

    private static float CosineOrZero(float dot, float denominator) => denominator > 0f ? dot / denominator : 0f;

    private void EnsureLinear()
    {
        if (Options.LookAhead != LookAheadMode.Linear)
        {
            throw new InvalidOperationException(
                "The exact look-ahead re-encodes the history with each candidate appended, so it needs the history: use Recommend(history, ...) or IpgPolicy instead of the embedding-only methods.");
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

    /// <summary>The scoring of spec §2 over the candidates (or the whole catalogue), then top-K.</summary>
    private int RerankCore(ReadOnlySpan<float> user, GuidanceTarget target, ReadOnlySpan<int> ids, bool catalogue, ReadOnlySpan<ulong> excluded, Span<RankedItem> destination, ScoringScratch scratch)
    {
        var items = target.Items;
        int n = catalogue ? items.ItemCount : ids.Length;
        if (n == 0)
        {
            return 0;
        }

        long started = Stopwatch.GetTimestamp();
        using var activity = IpgTelemetry.Source.StartActivity("Ipg.Rerank");
        if (activity is not null)
        {
            activity.SetTag("ipg.target", target.ItemId);
            activity.SetTag("ipg.candidates", n);
            activity.SetTag("ipg.k", destination.Length);
        }

        var logits = scratch.Logits[..n];
        var p = scratch.Probabilities[..n];
        var g = scratch.Guidance[..n];
        var keys = scratch.Keys[..n];

        if (catalogue)
        {
            Scoring.CatalogueLogits(user, items, logits);
        }
        else
        {
            Scoring.CandidateLogits(user, items, ids, logits);
        }

        Encoder.ComputeProbabilities(logits, p);

        // ê_j·ê_u: the user's current preference for the target under the model.
        float userDotTarget = TensorPrimitives.Dot(user, target.Embedding);
        float gamma = Options.Gamma;
        switch (Options.Form)
        {
            case GuidanceForm.Increase:
                // g = ê_j·(γ·ê_u + (1 − γ)·ê_i) − ê_j·ê_u = (1 − γ)·(ê_j·ê_i − ê_j·ê_u)   (spec §2)
                Scoring.Gather(target.TargetDots, ids, catalogue, g);
                TensorPrimitives.Subtract(g, userDotTarget, g);
                TensorPrimitives.Multiply(g, 1f - gamma, g);
                break;
            case GuidanceForm.Absolute:
                // g = ê_j·ê_u' = γ·(ê_j·ê_u) + (1 − γ)·(ê_j·ê_i)   (design card)
                Scoring.Gather(target.TargetDots, ids, catalogue, g);
                TensorPrimitives.Multiply(g, 1f - gamma, g);
                TensorPrimitives.Add(g, gamma * userDotTarget, g);
                break;
            default:
                // g = cos(ê_i, ê_j) − cos(ê_u, ê_j)   (the authors' code)
                float denominator = TensorPrimitives.Norm(user) * target.Norm;
                float userCosine = denominator > 0f ? userDotTarget / denominator : 0f;
                Scoring.Gather(target.TargetCosines, ids, catalogue, g);
                TensorPrimitives.Subtract(g, userCosine, g);
                break;
        }

        // r = p̂ · g, kept in Logits' place (the logits are no longer needed).
        var r = logits;
        TensorPrimitives.Multiply(p, g, r);

        if (Options.NegativeGuidance == NegativeGuidancePolicy.Raw)
        {
            r.CopyTo(keys);
        }
        else
        {
            // Positive guidance first by r (r ≥ 0 there); the rest by p̂ alone, mapped to [−2, −1] so it
            // always ranks below the positive tier.
            Scoring.AccuracyFallbackKeys(p, g, r, keys);
        }

        var order = scratch.Order[..destination.Length];
        int written = TopKSelector.Select(keys, ids, excluded, order);
        for (int k = 0; k < written; k++)
        {
            int pos = order[k];
            destination[k] = new RankedItem(catalogue ? pos + 1 : ids[pos], p[pos], g[pos], r[pos]);
        }

        if (written > 0 && !(destination[0].Guidance > 0f) && (IpgTelemetry.NegativeGuidance.Enabled || _logger.IsEnabled(LogLevel.Warning)))
        {
            // The top entry has g ≤ 0: under AccuracyFallback that means no candidate had g > 0; under Raw,
            // r_top ≤ 0 can only happen when every candidate's g ≤ 0 (p̂ > 0), so check the maximum.
            if (TensorPrimitives.Max(g) <= 0f)
            {
                IpgTelemetry.NegativeGuidance.Add(1);
                Log.NoPositiveGuidance(_logger, target.ItemId, n, Options.NegativeGuidance);
            }
        }

        IpgTelemetry.CandidatesScored.Add(n);
        IpgTelemetry.RerankDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        return written;
    }
}
