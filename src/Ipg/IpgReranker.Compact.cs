using System.Buffers;
using System.Diagnostics;
using System.Numerics.Tensors;
using Ipg.Diagnostics;
using Ipg.Guidance;

namespace Ipg;

/// <summary>The compact catalogue path (<see cref="IpgOptions.CompactTable"/>): an int8 first stage, an exact fp32 re-score.</summary>
public sealed partial class IpgReranker
{
    /// <summary>The shortest probability lane of the exact re-score, so that p̂ takes the same vector path as over the catalogue.</summary>
    private const int CompactLane = 64;

    /// <summary>At most this many users share one pass over the compact table in <c>RerankBatch</c>.</summary>
    private const int CompactBatchUsers = 8;

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

    /// <summary>How many candidates the compact first stage holds at most: twice the lane and one tile's worth before it cuts back.</summary>
    private static int CompactCandidateCapacity(int lane) => (4 * lane) + CompactItemTable.Tile;

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
    /// The two-stage catalogue pass for one user.
    /// <para>Stage 1, one tile of <see cref="CompactItemTable.Tile"/> items at a time (<see cref="CompactTile"/>):
    /// int8 logits (one pass over the compact table), the exact g, and the approximate key of the items that can
    /// still reach the best M.</para>
    /// <para>Stage 2 (<see cref="FinishCompact"/>): the best M re-scored by the fp32 chain and the exact top-K of them.</para>
    /// <para>Buffers (<see cref="CompactScratchLength"/>, no N-sized one): a tile's logits and scores, p̂ bounds, g and
    /// low bounds, bounds, and the shortlist's lanes behind them; the candidates' keys behind the bounds; candidate
    /// ids, a tile's survivors and the selection order in the id lane.</para>
    /// </summary>
    private int RerankCompact(ReadOnlySpan<float> user, GuidanceTarget target, ReadOnlySpan<ulong> excluded, Span<RankedItem> destination, ScoringScratch scratch, int shortlist, in Request request)
    {
        const int tile = CompactItemTable.Tile;
        var compact = Options.CompactTable!;
        int n = target.Items.ItemCount;
        int lane = Math.Max(shortlist, CompactLane);
        int capacity = CompactCandidateCapacity(lane);
        if (!BeginCompact(user, target, excluded, request.Strength, out var state))
        {
            return 0; // every item is excluded
        }

        Span<byte> buffer = stackalloc byte[DotKernels.QuantizedBufferBytes(target.Items.Dimension)];
        var quantised = new QuantizedVector(user, buffer);
        Span<float> blocks = stackalloc float[2 * CompactItemTable.TileLanes];
        var lanes = new CompactLanes(
            scratch.Logits[..tile], scratch.Logits.Slice(tile, tile), scratch.Probabilities[..tile], scratch.Guidance[..tile],
            scratch.Guidance.Slice(tile, tile), scratch.Keys[..tile], blocks, scratch.Ids.Slice(capacity, tile));
        var candidates = new CompactCandidates(scratch.Keys.Slice(tile, capacity), scratch.Ids[..capacity], scratch.Ids.Slice(capacity + tile, lane));
        for (int start = 0; start < n; start += tile)
        {
            int length = Math.Min(tile, n - start);
            compact.ApproximateLogits(quantised, start, lanes.Logits[..length]);
            CompactTile(target, start, length, lanes, candidates, excluded, request.Strength, shortlist, ref state);
        }

        return FinishCompact(user, target, excluded, destination, request, state, candidates, shortlist,
            scratch.Logits.Slice(2 * tile, lane), scratch.Probabilities.Slice(tile, lane), scratch.Guidance.Slice(tile, lane), scratch.Keys[..lane], scratch.Order[..destination.Length]);
    }

    /// <summary>
    /// <c>RerankBatch</c> on the compact path for users <c>first .. first + users − 1</c>: they share every tile of the
    /// int8 table (it is read from memory once and served from the cache to the others), each with its own first-stage
    /// state, so every user's list is bit for bit the one <see cref="RerankCompact"/> returns for it.
    /// </summary>
    private void RerankCompactBlock(ReadOnlySpan<float> userEmbeddings, int first, int users, GuidanceTarget? target, IReadOnlyList<GuidanceTarget>? targets, int k, Span<RankedItem> destination, Span<int> counts, ExclusionMask? exclusions, float strength, int shortlist)
    {
        const int tile = CompactItemTable.Tile;
        long started = Stopwatch.GetTimestamp();
        var compact = Options.CompactTable!;
        int n = compact.ItemCount;
        int d = compact.Dimension;
        int lane = Math.Max(shortlist, CompactLane);
        int capacity = CompactCandidateCapacity(lane);
        int bytes = DotKernels.QuantizedBufferBytes(d);
        int perUserFloats = capacity;
        int perUserInts = capacity + lane;
        var floats = ArrayPool<float>.Shared.Rent((6 * tile) + (2 * CompactItemTable.TileLanes) + (users * perUserFloats) + (4 * lane));
        var ints = ArrayPool<int>.Shared.Rent(tile + (users * perUserInts) + k);
        var quantisedBytes = ArrayPool<byte>.Shared.Rent(Math.Max(1, users * bytes));
        using var activity = IpgTelemetry.Source.StartActivity("Ipg.Rerank");
        try
        {
            var f = floats.AsSpan();
            var lanes = new CompactLanes(f[..tile], f.Slice(tile, tile), f.Slice(2 * tile, tile), f.Slice(3 * tile, tile), f.Slice(4 * tile, tile), f.Slice(5 * tile, tile),
                f.Slice(6 * tile, 2 * CompactItemTable.TileLanes), ints.AsSpan(0, tile));
            int candidateFloats = (6 * tile) + (2 * CompactItemTable.TileLanes);
            int stageTwo = candidateFloats + (users * perUserFloats);
            Span<CompactUser> states = stackalloc CompactUser[users];
            Span<bool> active = stackalloc bool[users];
            for (int b = 0; b < users; b++)
            {
                int u = first + b;
                var user = userEmbeddings.Slice(u * d, d);
                var excluded = exclusions is null ? default : exclusions.Row(u);
                active[b] = BeginCompact(user, targets?[u] ?? target!, excluded, strength, out states[b]);
                states[b].Form = new QuantizedVector(user, quantisedBytes.AsSpan(b * bytes, bytes)).Form;
                counts[u] = 0;
            }

            for (int start = 0; start < n; start += tile)
            {
                int length = Math.Min(tile, n - start);
                for (int b = 0; b < users; b++)
                {
                    if (!active[b])
                    {
                        continue;
                    }

                    int u = first + b;
                    var user = userEmbeddings.Slice(u * d, d);
                    var quantised = new QuantizedVector(user, quantisedBytes.AsSpan(b * bytes, bytes), states[b].Form);
                    compact.ApproximateLogits(quantised, start, lanes.Logits[..length]);
                    var candidates = Candidates(b);
                    CompactTile(targets?[u] ?? target!, start, length, lanes, candidates, exclusions is null ? default : exclusions.Row(u), strength, shortlist, ref states[b]);
                }
            }

            for (int b = 0; b < users; b++)
            {
                int u = first + b;
                if (active[b])
                {
                    counts[u] = FinishCompact(userEmbeddings.Slice(u * d, d), targets?[u] ?? target!, exclusions is null ? default : exclusions.Row(u), destination.Slice(u * k, k),
                        new Request(default, false, u, strength), states[b], Candidates(b), shortlist,
                        f.Slice(stageTwo, lane), f.Slice(stageTwo + lane, lane), f.Slice(stageTwo + (2 * lane), lane), f.Slice(stageTwo + (3 * lane), lane),
                        ints.AsSpan(tile + (users * perUserInts), k));
                }
            }

            if (activity is not null)
            {
                var t = targets?[first] ?? target!;
                activity.SetTag("ipg.target", t.ItemId);
                activity.SetTag("ipg.target.kind", t.Kind.ToString());
                activity.SetTag("ipg.guidance", Options.Guidance.Name);
                activity.SetTag("ipg.strength", strength);
                activity.SetTag("ipg.candidates", n);
                activity.SetTag("ipg.k", k);
                activity.SetTag("ipg.compact.shortlist", shortlist);
                activity.SetTag("ipg.users", users);
            }

            // One pass served every user of the block: each is recorded with its share of the block's time.
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds / users;
            for (int b = 0; b < users; b++)
            {
                IpgTelemetry.CandidatesScored.Add(n);
                IpgTelemetry.RerankDuration.Record(seconds);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floats);
            ArrayPool<int>.Shared.Return(ints);
            ArrayPool<byte>.Shared.Return(quantisedBytes);
        }

        CompactCandidates Candidates(int b)
        {
            int floatsAt = (6 * tile) + (2 * CompactItemTable.TileLanes) + (b * perUserFloats);
            int intsAt = tile + (b * perUserInts);
            return new CompactCandidates(floats.AsSpan(floatsAt, capacity), ints.AsSpan(intsAt, capacity), ints.AsSpan(intsAt + capacity, lane));
        }
    }

    /// <summary>A user's first-stage state before the first tile: the user's term, the catalogue's S; false when every item is excluded.</summary>
    private bool BeginCompact(ReadOnlySpan<float> user, GuidanceTarget target, ReadOnlySpan<ulong> excluded, float strength, out CompactUser state)
    {
        state = default;
        state.Threshold = float.NegativeInfinity;
        if (strength > 0f)
        {
            var model = (ITermGuidance)Options.Guidance;
            state.UserTerm = model.UserTerm(target, user);
            if (strength < 1f)
            {
                return TryCatalogueScale(model, target, state.UserTerm, excluded, out state.Scale);
            }
        }

        return true;
    }

    /// <summary>
    /// One tile of the first stage for one user, its int8 logits in <c>lanes.Logits</c>: the exact g of every item
    /// (<see cref="ITermGuidance"/> reads no logit), then the approximate ranking key — p̂ of the int8 logit, g, the
    /// catalogue's exact S — of the items that can still reach the best M.
    /// <para>The key is non-decreasing in p̂ (the sigmoid or a calibration: non-decreasing in the logit) for g_λ &gt; 0
    /// and under the fallback, so an item's key is at most the key of p̂(its block's greatest logit) with its own g
    /// (under the raw product a negative g_λ favours a small p̂, so the block's least logit bounds it too). A block is a
    /// column of the tile seen as rows of <see cref="CompactItemTable.TileLanes"/> items, so one p̂ per block serves
    /// every row: a tile costs two p̂ calls of a row's length instead of one per item. Items whose bound is below the
    /// current M-th key (less a margin of 2⁻²⁰ for the rounding of p̂) are skipped; the others get their p̂ and key, and
    /// those at or above the threshold join the candidate list, which <see cref="TopKSelector"/> cuts back to the best
    /// M (raising the threshold) whenever it fills. λ = 0 needs no bound: the key is the logit.</para>
    /// </summary>
    private void CompactTile(GuidanceTarget target, int start, int length, in CompactLanes lanes, in CompactCandidates candidates, ReadOnlySpan<ulong> excluded, float strength, int shortlist, ref CompactUser state)
    {
        const int tile = CompactItemTable.Tile;
        const int width = CompactItemTable.TileLanes;
        var model = strength > 0f ? (ITermGuidance)Options.Guidance : null;
        var logits = lanes.Logits[..length];
        var g = lanes.Guidance[..length];
        if (model is not null)
        {
            model.Guidance(target.Term(model.Term).Slice(start + 1, length), state.UserTerm, g);
        }

        int pending;
        var positions = lanes.Positions;
        if (length == tile && state.Threshold > float.NegativeInfinity)
        {
            var bounds = lanes.Bounds;
            if (model is null)
            {
                logits.CopyTo(bounds);
            }
            else
            {
                var maxLogit = lanes.Blocks[..width];
                var minLogit = lanes.Blocks[width..];
                Scoring.StridedMaxMin(logits, maxLogit, minLogit);
                Probabilities(maxLogit, maxLogit);
                var pBound = lanes.Probabilities;
                for (int row = 0; row < tile; row += width)
                {
                    maxLogit.CopyTo(pBound.Slice(row, width));
                }

                RankingKeys(pBound, g, lanes.Scores, bounds, strength, state.Scale);
                if (Options.NegativeGuidance == NegativeGuidancePolicy.Raw)
                {
                    Probabilities(minLogit, minLogit);
                    for (int row = 0; row < tile; row += width)
                    {
                        minLogit.CopyTo(pBound.Slice(row, width));
                    }

                    RankingKeys(pBound, g, lanes.Scores, lanes.Low, strength, state.Scale);
                    TensorPrimitives.Max(bounds, lanes.Low, bounds);
                }
            }

            float cut = state.Threshold - (MathF.Abs(state.Threshold) * (1f / (1 << 20)));
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
            return;
        }

        var chosen = positions[..pending];
        var p = lanes.Probabilities[..pending];
        var keys = lanes.Bounds[..pending];
        for (int j = 0; j < pending; j++)
        {
            p[j] = logits[chosen[j]];
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
                g[j] = g[chosen[j]];
            }

            Probabilities(p, p);
            RankingKeys(p, g[..pending], lanes.Scores[..pending], keys, strength, state.Scale);
        }

        int count = state.Count;
        float threshold = state.Threshold;
        for (int j = 0; j < pending; j++)
        {
            float key = keys[j];
            if (key >= threshold)
            {
                candidates.Keys[count] = key;
                candidates.Ids[count++] = start + chosen[j] + 1;
            }
        }

        if (count > candidates.Keys.Length - tile)
        {
            count = KeepBest(candidates.Keys, candidates.Ids, count, excluded, candidates.Order[..shortlist], out threshold);
        }

        state.Count = count;
        state.Threshold = threshold;
    }

    /// <summary>
    /// Stage 2: the best M of the candidates re-scored by the fp32 chain — logits bit for bit as the catalogue pass
    /// computes them (<see cref="DotKernels.RowDotAt"/>), p̂, the guidance model's g, the keys with the catalogue's S —
    /// and the exact top-K of them. The lanes hold at least <see cref="CompactLane"/> values (p̂ is computed over the
    /// whole lane, zeros past the shortlist, so that it takes the catalogue's vector path).
    /// </summary>
    private int FinishCompact(ReadOnlySpan<float> user, GuidanceTarget target, ReadOnlySpan<ulong> excluded, Span<RankedItem> destination, in Request request, in CompactUser state, in CompactCandidates candidates, int shortlist, Span<float> logitLane, Span<float> probabilityLane, Span<float> guidanceLane, Span<float> keyLane, Span<int> order)
    {
        var ids = candidates.Order[..shortlist];
        int m = TopKSelector.Select<float>(candidates.Keys[..state.Count], candidates.Ids[..state.Count], excluded, ids);
        if (m == 0)
        {
            return 0;
        }

        ids = ids[..m];
        var items = target.Items;
        var rows = items.ItemRows;
        var biases = items.HasBiases ? items.Biases : default;
        logitLane[m..].Clear();
        for (int j = 0; j < m; j++)
        {
            int id = candidates.Ids[ids[j]];
            float logit = DotKernels.RowDotAt(user, rows, id - 1, items.ItemCount);
            logitLane[j] = biases.IsEmpty ? logit : logit + biases[id];
            ids[j] = id;
        }

        return RankFromLogits(user, target, ids, excluded, logitLane, probabilityLane, guidanceLane, keyLane, order, destination, request, state.Scale, items.ItemCount);
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
            // The compact path computes p̂ over tiles, blocks and the shortlist, and bounds keys by p̂ of a greater
            // logit: p̂ of an item must not depend on the other logits of the call (a softmax over the catalogue does)
            // and must not fall as the logit rises.
            Span<float> a = stackalloc float[32];
            Span<float> b = stackalloc float[32];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (i - 16) * 0.25f;
                b[i] = i == 0 ? a[0] : 3f + i;
            }

            encoder.ComputeProbabilities(a, a);
            encoder.ComputeProbabilities(b, b);
            bool monotone = true;
            for (int i = 1; i < a.Length; i++)
            {
                monotone &= a[i] >= a[i - 1];
            }

            if (!a[0].Equals(b[0]) || !monotone)
            {
                throw new ArgumentException(
                    $"IpgOptions.CompactTable needs an element-wise p̂ that does not fall as the logit rises, but the encoder's ({encoder.GetType().Name}) ComputeProbabilities {(monotone ? "depends on the other logits of the call (a softmax over the catalogue)" : "falls as the logit rises")}; set IpgOptions.Acceptance or drop CompactTable.",
                    nameof(options));
            }
        }
    }

    /// <summary>The first stage's scalars for one user.</summary>
    private struct CompactUser
    {
        /// <summary>The user's term of the guidance model (t·ê_u, or the cosine term).</summary>
        public float UserTerm;

        /// <summary>S, max |g| over the catalogue's items not excluded (λ &lt; 1).</summary>
        public float Scale;

        /// <summary>The current M-th key, −∞ until the candidate list has been cut back to a full M.</summary>
        public float Threshold;

        /// <summary>Candidates held.</summary>
        public int Count;

        /// <summary>The user's quantised form (batch blocks keep it between tiles).</summary>
        public QuantizedForm Form;
    }

    /// <summary>A tile's working lanes (shared by the users of a batch block, who take the tile one after another).</summary>
    private readonly ref struct CompactLanes(Span<float> logits, Span<float> scores, Span<float> probabilities, Span<float> guidance, Span<float> low, Span<float> bounds, Span<float> blocks, Span<int> positions)
    {
        public Span<float> Logits { get; } = logits;

        public Span<float> Scores { get; } = scores;

        public Span<float> Probabilities { get; } = probabilities;

        public Span<float> Guidance { get; } = guidance;

        public Span<float> Low { get; } = low;

        public Span<float> Bounds { get; } = bounds;

        public Span<float> Blocks { get; } = blocks;

        public Span<int> Positions { get; } = positions;
    }

    /// <summary>One user's candidate list (keys and ids) and the order lane its selections use.</summary>
    private readonly ref struct CompactCandidates(Span<float> keys, Span<int> ids, Span<int> order)
    {
        public Span<float> Keys { get; } = keys;

        public Span<int> Ids { get; } = ids;

        public Span<int> Order { get; } = order;
    }
}
