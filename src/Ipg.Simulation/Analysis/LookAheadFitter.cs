using System.Numerics.Tensors;
using Ipg.Guidance;

namespace Ipg.Simulation.Analysis;

/// <summary>
/// Fits an encoder's look-ahead from logged histories (and, when there is one, an impression log) into a
/// <see cref="LookAheadFit"/>, validated out of sample: users are split into a fit set and a held-out set first.
/// </summary>
/// <remarks>
/// <para><b>The move.</b> For each sampled fit user, a cut point t is drawn uniformly in <c>[1, length − 1]</c>,
/// s = the first t items; the moves fitted are s → s ⊕ i for the top-<see cref="LookAheadFitOptions.Candidates"/>
/// unseen items i by the logit (what the look-ahead scores). <c>ENC(s ⊕ i) ≈ a·ENC(s) + b·ê_i</c> is the least-squares
/// fit over all coordinates of all moves (<see cref="GammaFitAccumulator"/>); its residual is then computed on the
/// held-out users' moves.</para>
/// <para><b>The acceptance.</b> With impressions (items shown, clicked or not, in time order), each sampled
/// impression's logit is the encoder's score of the shown item for the user's clicks before it;
/// <see cref="AcceptanceCalibration.Fit"/> fits σ(a·logit + b) on the fit users' impressions, and the log-loss is
/// reported on the held-out users' impressions, beside the encoder's own p̂.</para>
/// </remarks>
public static class LookAheadFitter
{
    /// <summary>Fits the look-ahead of <paramref name="encoder"/>.</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="sequences">Each user's logged items, oldest first (ids 1..N); the index is the user.</param>
    /// <param name="impressions">The impression log in time order (users index <paramref name="sequences"/>), or null.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="producer">Recorded in the file.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The fit.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Too few users with two or more items, an item id outside 1..N, or an
    /// impression log the calibration cannot use (see <see cref="AcceptanceCalibration.Fit"/>).</exception>
    public static LookAheadFit Fit(ISequentialEncoder encoder, IReadOnlyList<int[]> sequences, IReadOnlyList<Impression>? impressions = null, LookAheadFitOptions? options = null, string producer = "", CancellationToken cancellationToken = default)
    {
        options ??= new LookAheadFitOptions();
        var (fitUsers, heldOutUsers, heldOut, fitMoves, heldMoves, random) = Sample(encoder, sequences, options, cancellationToken);
        var move = fitMoves.Result();
        if (!double.IsFinite(move.A) || !(move.B > 0))
        {
            throw new ArgumentException($"The fitted move is degenerate (a = {move.A}, b = {move.B}): the encoder's user vector does not move with the appended item.", nameof(encoder));
        }

        AcceptanceCalibration? acceptance = null;
        long fitImpressions = 0, heldImpressions = 0;
        double logLoss = double.NaN, rawLogLoss = double.NaN;
        if (impressions is { Count: > 0 })
        {
            var (fitLogits, fitClicks, heldLogits, heldClicks, heldRaw) = ImpressionLogits(encoder, sequences.Count, impressions, heldOut, options, random, cancellationToken);
            acceptance = AcceptanceCalibration.Fit(fitLogits, fitClicks);
            fitImpressions = fitLogits.Length;
            heldImpressions = heldLogits.Length;
            if (heldLogits.Length > 0)
            {
                logLoss = acceptance.LogLoss(heldLogits, heldClicks);
                rawLogLoss = LogLossOfProbabilities(heldRaw, heldClicks);
            }
        }

        return new LookAheadFit
        {
            ItemCount = encoder.ItemCount,
            Dimension = encoder.Dimension,
            ItemTableSha256 = LookAheadFit.ComputeItemTableSha256(encoder.ItemEmbeddings),
            A = move.A,
            B = move.B,
            Acceptance = acceptance,
            Producer = producer,
            Validation = new LookAheadFitValidation(
                fitUsers.Length,
                heldOutUsers.Length,
                move.Pairs,
                heldMoves.Pairs,
                move.UnconstrainedRelativeResidual,
                heldMoves.RelativeResidualOf(move.A, move.B),
                heldMoves.RelativeResidualOf(0.8, 0.2),
                fitImpressions,
                heldImpressions,
                logLoss,
                rawLogLoss),
        };
    }

    /// <summary>
    /// The relative residual of each given move on the held-out users' moves, drawn exactly as <see cref="Fit"/>
    /// draws them with the same <paramref name="options"/>: how well a move fitted elsewhere (another world, another
    /// model, the paper's γ) transfers to this encoder. 0 = exact, 1 = no better than predicting no move.
    /// </summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="sequences">Each user's logged items, oldest first (ids 1..N); the index is the user.</param>
    /// <param name="moves">The moves (a, b) of <c>ENC(s ⊕ i) ≈ a·ENC(s) + b·ê_i</c> to evaluate.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="cancellationToken">Checked between users.</param>
    /// <returns>One residual per move, in order.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Too few users with two or more items, or an item id outside 1..N.</exception>
    public static double[] EvaluateMoves(ISequentialEncoder encoder, IReadOnlyList<int[]> sequences, IReadOnlyList<(double A, double B)> moves, LookAheadFitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(moves);
        var heldMoves = Sample(encoder, sequences, options ?? new LookAheadFitOptions(), cancellationToken).HeldMoves;
        return [.. moves.Select(m => heldMoves.RelativeResidualOf(m.A, m.B))];
    }

    /// <summary>The seeded user split and the fit and held-out moves (one definition for <see cref="Fit"/> and <see cref="EvaluateMoves"/>).</summary>
    private static (int[] FitUsers, int[] HeldOutUsers, HashSet<int> HeldOut, GammaFitAccumulator FitMoves, GammaFitAccumulator HeldMoves, Random Random) Sample(ISequentialEncoder encoder, IReadOnlyList<int[]> sequences, LookAheadFitOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(sequences);
        options.Validate();

        // The split: a seeded permutation of the users; the first share is held out.
        var random = new Random(options.Seed);
        var eligible = Enumerable.Range(0, sequences.Count).Where(u => sequences[u] is { Length: >= 2 }).ToArray();
        random.Shuffle(eligible);
        // Every eligible user is on one side (their impressions too); the moves are sampled from each side.
        int heldOutAll = (int)Math.Round(eligible.Length * options.HeldOutShare);
        int sampled = Math.Min(options.Users, eligible.Length);
        int heldOutCount = Math.Min(heldOutAll, (int)Math.Round(sampled * options.HeldOutShare));
        int fitCount = Math.Min(eligible.Length - heldOutAll, sampled - heldOutCount);
        if (heldOutCount < 1 || fitCount < 1)
        {
            throw new ArgumentException($"The fit needs users with at least 2 logged items in both the fit and the held-out set; {eligible.Length} users qualify, {sampled} sampled.", nameof(sequences));
        }

        var heldOut = new HashSet<int>(eligible.Take(heldOutAll));
        var heldOutUsers = eligible.Take(heldOutCount).ToArray();
        var fitUsers = eligible.Skip(heldOutAll).Take(fitCount).ToArray();
        var fitMoves = Moves(encoder, sequences, fitUsers, options, random, cancellationToken);
        var heldMoves = Moves(encoder, sequences, heldOutUsers, options, random, cancellationToken);
        return (fitUsers, heldOutUsers, heldOut, fitMoves, heldMoves, random);
    }

    private static GammaFitAccumulator Moves(ISequentialEncoder encoder, IReadOnlyList<int[]> sequences, int[] users, LookAheadFitOptions options, Random random, CancellationToken cancellationToken)
    {
        int n = encoder.ItemCount, d = encoder.Dimension, max = encoder.MaxHistoryLength;
        var items = encoder.ItemEmbeddings;
        var accumulator = new GammaFitAccumulator();
        var logits = new float[n];
        var order = new int[Math.Min(options.Candidates, n)];
        var user = new float[d];
        foreach (int u in users)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sequence = sequences[u];
            int t = random.Next(1, sequence.Length);
            var prefix = HistoryWindow.Window(sequence.AsMemory(0, t), max);
            foreach (int id in sequence)
            {
                if (id < 1 || id > n)
                {
                    throw new ArgumentException($"User {u} has item id {id}; ids are 1..{n}.", nameof(sequences));
                }
            }

            encoder.Encode(prefix.Span, user);
            Scoring.CatalogueLogits(user, items, logits);
            var seen = new ulong[(n >> 6) + 1];
            foreach (int id in prefix.Span)
            {
                // Positions are zero-based: item id k sits at k − 1.
                seen[(id - 1) >> 6] |= 1UL << ((id - 1) & 63);
            }

            int found = TopKSelector.Select<float>(logits, ReadOnlySpan<int>.Empty, seen, order);
            var extended = new ReadOnlyMemory<int>[found];
            for (int c = 0; c < found; c++)
            {
                extended[c] = HistoryWindow.Append(prefix.Span, order[c] + 1, max);
            }

            var next = new float[found * d];
            encoder.EncodeBatch(extended, next, cancellationToken);
            for (int c = 0; c < found; c++)
            {
                accumulator.Add(user, items[order[c] + 1], next.AsSpan(c * d, d));
            }
        }

        return accumulator;
    }

    /// <summary>
    /// The logit of every sampled impression, split into fit and held-out users, and for the held-out ones the encoder's own
    /// p̂ (<see cref="ISequentialEncoder.ComputeProbabilities"/> over that user's whole catalogue, so that a softmax
    /// encoder's p̂ is normalised as in a request).
    /// </summary>
    private static (float[] FitLogits, bool[] FitClicks, float[] HeldLogits, bool[] HeldClicks, float[] HeldRaw) ImpressionLogits(ISequentialEncoder encoder, int userCount, IReadOnlyList<Impression> impressions, HashSet<int> heldOut, LookAheadFitOptions options, Random random, CancellationToken cancellationToken)
    {
        int n = encoder.ItemCount, d = encoder.Dimension, max = encoder.MaxHistoryLength;
        var histories = new List<int>[userCount];
        double rate = Math.Min(1.0, (double)options.Impressions / impressions.Count);
        var samples = new List<(ReadOnlyMemory<int> History, int Item, bool Clicked, bool HeldOut)>();
        foreach (var impression in impressions)
        {
            if ((uint)impression.User >= (uint)userCount || impression.Item < 1 || impression.Item > n)
            {
                throw new ArgumentException($"Impression ({impression.User}, {impression.Item}) is outside {userCount} users × items 1..{n}.", nameof(impressions));
            }

            var history = histories[impression.User] ??= [];
            if (history.Count > 0 && random.NextDouble() < rate)
            {
                int keep = Math.Min(history.Count, max);
                samples.Add((history.GetRange(history.Count - keep, keep).ToArray(), impression.Item, impression.Clicked, heldOut.Contains(impression.User)));
            }

            if (impression.Clicked)
            {
                history.Add(impression.Item);
            }
        }

        var logits = new float[samples.Count];
        var raw = new float[samples.Count];
        var catalogue = new float[n];
        var items = encoder.ItemEmbeddings;
        foreach (var chunk in Enumerable.Range(0, samples.Count).Chunk(512))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var encoded = new float[chunk.Length * d];
            encoder.EncodeBatch(chunk.Select(s => samples[s].History).ToArray(), encoded, cancellationToken);
            for (int c = 0; c < chunk.Length; c++)
            {
                var user = encoded.AsSpan(c * d, d);
                var sample = samples[chunk[c]];
                logits[chunk[c]] = Scoring.Logit(user, items, sample.Item);
                if (sample.HeldOut)
                {
                    Scoring.CatalogueLogits(user, items, catalogue);
                    encoder.ComputeProbabilities(catalogue, catalogue);
                    raw[chunk[c]] = catalogue[sample.Item - 1];
                }
            }
        }

        var fit = Enumerable.Range(0, samples.Count).Where(s => !samples[s].HeldOut).ToArray();
        var held = Enumerable.Range(0, samples.Count).Where(s => samples[s].HeldOut).ToArray();
        return ([.. fit.Select(s => logits[s])], [.. fit.Select(s => samples[s].Clicked)], [.. held.Select(s => logits[s])], [.. held.Select(s => samples[s].Clicked)], [.. held.Select(s => raw[s])]);
    }

    private static double LogLossOfProbabilities(ReadOnlySpan<float> p, ReadOnlySpan<bool> clicked)
    {
        double total = 0;
        for (int s = 0; s < p.Length; s++)
        {
            double q = Math.Clamp(p[s], 1e-7, 1 - 1e-7);
            total -= clicked[s] ? Math.Log(q) : Math.Log(1 - q);
        }

        return total / p.Length;
    }
}
