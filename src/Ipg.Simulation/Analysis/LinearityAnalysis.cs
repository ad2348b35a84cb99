using System.Diagnostics;
using System.Numerics.Tensors;
using Ipg.Guidance;

namespace Ipg.Simulation.Analysis;

/// <summary>
/// Tests IPG's linear assumption (spec §2, <c>ê_u' = γ·ê_u + (1 − γ)·ê_i</c>) against what a real encoder does
/// when item i is appended to a history: compares the linear guiding score with the exact one
/// (<c>ê_j·ENC(s ⊕ i) − ê_j·ENC(s)</c>, as <see cref="LookAheadMode.Exact"/> computes it) over candidates,
/// per history-length bucket, and fits the γ that best explains the encoder's one-step moves.
/// </summary>
/// <remarks>
/// <para>Model-only: it needs an <see cref="ISequentialEncoder"/> and histories, no simulator, so it runs on
/// any model and log (the simulator's paper log, MovieLens, …). It lives here rather than in the core
/// package because it is an offline diagnostic that needs MathNet.Numerics, which the serving package does
/// not depend on.</para>
/// <para>Procedure: sample users with at least two logged items; for each, cut the history at a uniformly
/// random point t ∈ [1, length − 1] (so every length bucket is represented) and encode s = the first t items;
/// take the candidates (the top-C by p̂ among the items not in s); re-encode s ⊕ i for every candidate and for
/// the logged next item; then for random targets compare the linear and exact g and r = p̂·g. Histories
/// longer than the encoder's maximum are cut to the most recent items exactly as the re-ranker's exact mode
/// does (the oldest item makes room for i).</para>
/// <para>Deterministic for a deterministic encoder and a given seed.</para>
/// </remarks>
public static class LinearityAnalysis
{
    /// <summary>Runs the analysis.</summary>
    /// <param name="encoder">The encoder under test.</param>
    /// <param name="sequences">Per user the logged items, oldest first, as encoder ids 1..N.</param>
    /// <param name="options">Sample sizes and buckets; <see cref="LinearityOptions.Default"/> when null.</param>
    /// <param name="progress">Receives the number of users done; optional.</param>
    /// <param name="cancellationToken">Checked between users.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="encoder"/> or <paramref name="sequences"/> is null.</exception>
    /// <exception cref="ArgumentException">An id is outside 1..N, no user has two items, or an option is out of range.</exception>
    public static LinearityReport Analyze(ISequentialEncoder encoder, IReadOnlyList<int[]> sequences, LinearityOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(sequences);
        options ??= LinearityOptions.Default;
        options.Validate();
        int n = encoder.ItemCount;
        var eligible = new List<int>();
        for (int u = 0; u < sequences.Count; u++)
        {
            var seq = sequences[u] ?? throw new ArgumentException($"Sequence {u} is null.", nameof(sequences));
            foreach (int id in seq)
            {
                if (id < 1 || id > n)
                {
                    throw new ArgumentException($"Sequence {u} holds id {id}; the encoder's ids are 1..{n}.", nameof(sequences));
                }
            }

            if (seq.Length >= 2)
            {
                eligible.Add(u);
            }
        }

        if (eligible.Count == 0)
        {
            throw new ArgumentException("No user has at least two logged items (a history and a next item).", nameof(sequences));
        }

        var watch = Stopwatch.StartNew();
        var random = new Random(options.Seed);
        int users = Math.Min(options.Users, eligible.Count);
        for (int k = 0; k < users; k++)
        {
            int pick = k + random.Next(eligible.Count - k);
            (eligible[k], eligible[pick]) = (eligible[pick], eligible[k]);
        }

        var buckets = options.BucketEdges.Select((edge, b) => new BucketState(edge, b + 1 < options.BucketEdges.Count ? options.BucketEdges[b + 1] - 1 : int.MaxValue, options.ShortlistSizes)).ToArray();
        var scratch = new UserScratch(encoder);
        long encodings = 0;
        for (int k = 0; k < users; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var seq = sequences[eligible[k]];
            int t = random.Next(1, seq.Length);
            var bucket = buckets.Last(b => t >= b.MinLength);
            encodings += AnalyzeHistory(encoder, seq, t, options, random, scratch, bucket, cancellationToken);
            progress?.Report(k + 1);
        }

        var overall = new BucketState(1, int.MaxValue, options.ShortlistSizes);
        foreach (var b in buckets)
        {
            overall.Merge(b);
        }

        var affine = overall.Candidate.Result();
        return new LinearityReport(
            options,
            n,
            encoder.Dimension,
            encoder.MaxHistoryLength,
            buckets.Where(b => b.Histories > 0).Select(b => b.ToBucket(null, affine, options.TopK)).ToList(),
            overall.ToBucket("all", affine, options.TopK),
            encodings,
            watch.Elapsed);
    }

    /// <summary>
    /// Fits γ (and the unconstrained a, b) over given (history, item) pairs: encodes each history and each
    /// history ⊕ item. The pairs' histories are cut like the exact look-ahead cuts them.
    /// </summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="pairs">(history oldest first, item id) pairs; ids in 1..N.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The fit.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside 1..N.</exception>
    public static GammaFit FitGamma(ISequentialEncoder encoder, IEnumerable<(ReadOnlyMemory<int> History, int Item)> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(pairs);
        int d = encoder.Dimension;
        var items = encoder.ItemEmbeddings;
        var accumulator = new GammaFitAccumulator();
        foreach (var chunk in pairs.Chunk(256))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var histories = new ReadOnlyMemory<int>[chunk.Length * 2];
            for (int c = 0; c < chunk.Length; c++)
            {
                var (history, item) = chunk[c];
                if (item < 1 || item > encoder.ItemCount)
                {
                    throw new ArgumentOutOfRangeException(nameof(pairs), item, $"Item ids are 1..{encoder.ItemCount}.");
                }

                histories[2 * c] = HistoryWindow.Window(history, encoder.MaxHistoryLength);
                histories[(2 * c) + 1] = HistoryWindow.Append(history.Span, item, encoder.MaxHistoryLength);
            }

            var encoded = new float[histories.Length * d];
            encoder.EncodeBatch(histories, encoded, cancellationToken);
            for (int c = 0; c < chunk.Length; c++)
            {
                accumulator.Add(encoded.AsSpan(2 * c * d, d), items[chunk[c].Item], encoded.AsSpan(((2 * c) + 1) * d, d));
            }
        }

        return accumulator.Result();
    }

    private static long AnalyzeHistory(ISequentialEncoder encoder, int[] sequence, int t, LinearityOptions options, Random random, UserScratch scratch, BucketState bucket, CancellationToken cancellationToken)
    {
        int n = encoder.ItemCount;
        int d = encoder.Dimension;
        var items = encoder.ItemEmbeddings;
        var prefix = sequence.AsMemory(0, t);
        var user = scratch.User;
        encoder.Encode(HistoryWindow.Window(prefix, encoder.MaxHistoryLength).Span, user);

        // p̂ over the catalogue; candidates = the top-C by p̂ among the items not in the history.
        var logits = scratch.Logits;
        Scoring.CatalogueLogits(user, items, logits.AsSpan(0, n));

        var probabilities = scratch.Probabilities;
        encoder.ComputeProbabilities(logits, probabilities);
        // The top-C by p̂ (the logit) among the items not in the history, through the one top-K (ties: lower id).
        var seen = new ulong[(n >> 6) + 1];
        foreach (int id in sequence.Take(t))
        {
            seen[id >> 6] |= 1UL << (id & 63);
        }

        var order = new int[options.Candidates == 0 ? n : Math.Min(options.Candidates, n)];
        int found = TopKSelector.Select<float>(logits[..n], ReadOnlySpan<int>.Empty, seen, order);
        int[] ids = new int[found];
        for (int c = 0; c < found; c++)
        {
            ids[c] = order[c] + 1;
        }

        int next = sequence[t];

        var histories = new ReadOnlyMemory<int>[ids.Length + 1];
        for (int c = 0; c < ids.Length; c++)
        {
            histories[c] = HistoryWindow.Append(prefix.Span, ids[c], encoder.MaxHistoryLength);
        }

        histories[ids.Length] = HistoryWindow.Append(prefix.Span, next, encoder.MaxHistoryLength);
        var after = new float[histories.Length * d];
        encoder.EncodeBatch(histories, after, cancellationToken);

        bucket.Histories++;
        bucket.Logged.Add(user, items[next], after.AsSpan(ids.Length * d, d));
        for (int c = 0; c < ids.Length; c++)
        {
            bucket.Candidate.Add(user, items[ids[c]], after.AsSpan(c * d, d));
        }

        for (int target = 0; target < options.TargetsPerUser; target++)
        {
            int j = random.Next(1, n + 1);
            if (ids.Length < 2)
            {
                continue;
            }

            var gLinear = new double[ids.Length];
            var gExact = new double[ids.Length];
            var rLinear = new double[ids.Length];
            var rExact = new double[ids.Length];
            var p = new double[ids.Length];
            var targetDots = new double[ids.Length];
            var ej = items[j];
            double userDotTarget = TensorPrimitives.Dot(user, ej);
            for (int c = 0; c < ids.Length; c++)
            {
                // Increase form: linear g = (1 − γ)·(ê_j·ê_i − ê_j·ê_u); the positive factor (1 − γ) changes no
                // correlation or ranking, so it is left out.
                targetDots[c] = TensorPrimitives.Dot(ej, items[ids[c]]);
                gLinear[c] = targetDots[c] - userDotTarget;
                gExact[c] = TensorPrimitives.Dot(ej, after.AsSpan(c * d, d)) - userDotTarget;
                p[c] = probabilities[ids[c] - 1];
                rLinear[c] = p[c] * gLinear[c];
                rExact[c] = p[c] * gExact[c];
            }

            bucket.AddPair(gLinear, gExact, rLinear, rExact, options.TopK);
            bucket.Kept.Add(new PairData(p, targetDots, userDotTarget, rExact));
        }

        return histories.Length + 1;
    }

    /// <summary>What the affine comparison needs of one (history, target) pair, once (a, b) are known.</summary>
    private sealed record PairData(double[] Probabilities, double[] TargetDots, double UserDotTarget, double[] ExactScores);

    private sealed class UserScratch(ISequentialEncoder encoder)
    {
        public float[] User { get; } = new float[encoder.Dimension];

        public float[] Logits { get; } = new float[encoder.ItemCount];

        public float[] Probabilities { get; } = new float[encoder.ItemCount];
    }

    private sealed class BucketState(int minLength, int maxLength, IReadOnlyList<int> shortlistSizes)
    {
        private readonly List<double> _pearson = [];
        private readonly List<double> _spearmanG = [];
        private readonly List<double> _spearmanR = [];
        private readonly List<double> _overlap = [];
        private readonly Dictionary<int, int> _inShortlist = shortlistSizes.Distinct().ToDictionary(m => m, _ => 0);
        private int _top1;
        private int _pairs;

        public int MinLength { get; } = minLength;

        public int MaxLength { get; } = maxLength;

        public int Histories { get; set; }

        public GammaFitAccumulator Logged { get; } = new();

        public GammaFitAccumulator Candidate { get; } = new();

        public List<PairData> Kept { get; } = [];

        public void AddPair(double[] gLinear, double[] gExact, double[] rLinear, double[] rExact, int topK)
        {
            _pairs++;
            _pearson.Add(RankAgreement.Pearson(gLinear, gExact));
            _spearmanG.Add(RankAgreement.Spearman(gLinear, gExact));
            _spearmanR.Add(RankAgreement.Spearman(rLinear, rExact));
            _overlap.Add(RankAgreement.TopKOverlap(rLinear, rExact, topK));
            int bestExact = RankAgreement.TopIndices(rExact, 1)[0];
            if (RankAgreement.TopIndices(rLinear, 1)[0] == bestExact)
            {
                _top1++;
            }

            int rank = RankAgreement.RankOf(rLinear, bestExact);
            foreach (int m in _inShortlist.Keys.ToList())
            {
                if (rank < m)
                {
                    _inShortlist[m]++;
                }
            }
        }

        public void Merge(BucketState other)
        {
            Histories += other.Histories;
            _pairs += other._pairs;
            _top1 += other._top1;
            _pearson.AddRange(other._pearson);
            _spearmanG.AddRange(other._spearmanG);
            _spearmanR.AddRange(other._spearmanR);
            _overlap.AddRange(other._overlap);
            foreach (var (m, count) in other._inShortlist)
            {
                _inShortlist[m] += count;
            }

            Logged.Add(other.Logged);
            Candidate.Add(other.Candidate);
            Kept.AddRange(other.Kept);
        }

        public LinearityBucket ToBucket(string? label, GammaFit affine, int topK)
        {
            // r of the fitted affine look-ahead: p̂·(b·ê_j·ê_i + (a − 1)·ê_j·ê_u).
            var spearman = new List<double>();
            var overlap = new List<double>();
            int top1 = 0;
            foreach (var pair in Kept)
            {
                var r = new double[pair.Probabilities.Length];
                for (int c = 0; c < r.Length; c++)
                {
                    r[c] = pair.Probabilities[c] * ((affine.B * pair.TargetDots[c]) + ((affine.A - 1) * pair.UserDotTarget));
                }

                spearman.Add(RankAgreement.Spearman(r, pair.ExactScores));
                overlap.Add(RankAgreement.TopKOverlap(r, pair.ExactScores, topK));
                var best = RankAgreement.TopIndices(r, 1);
                if (best.Length > 0 && best[0] == RankAgreement.TopIndices(pair.ExactScores, 1)[0])
                {
                    top1++;
                }
            }

            return BaseBucket(label) with
            {
                AffineSpearmanScore = MeanIgnoringNaN(spearman),
                AffineTopKOverlap = MeanIgnoringNaN(overlap),
                AffineTop1Agreement = Kept.Count == 0 ? double.NaN : top1 / (double)Kept.Count,
            };
        }

        private LinearityBucket BaseBucket(string? label) => new(
            label ?? (MaxLength == int.MaxValue ? $"{MinLength}+" : MinLength == MaxLength ? $"{MinLength}" : $"{MinLength}–{MaxLength}"),
            MinLength,
            MaxLength,
            Histories,
            _pairs,
            MeanIgnoringNaN(_pearson),
            MeanIgnoringNaN(_spearmanG),
            MeanIgnoringNaN(_spearmanR),
            MeanIgnoringNaN(_overlap),
            _pairs == 0 ? double.NaN : _top1 / (double)_pairs,
            _inShortlist.ToDictionary(p => p.Key, p => _pairs == 0 ? double.NaN : p.Value / (double)_pairs),
            Logged.Result(),
            Candidate.Result(),
            double.NaN,
            double.NaN,
            double.NaN);

        private static double MeanIgnoringNaN(List<double> values)
        {
            var finite = values.Where(v => !double.IsNaN(v)).ToList();
            return finite.Count == 0 ? double.NaN : finite.Average();
        }
    }
}
