using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ipg.Simulation.Worlds;

/// <summary>
/// How well a real-data world's ground truth predicts real behaviour (docs/real-data.md "World report"): full-ranking
/// HR@10 / NDCG@10 of each user's held-out item (train items excluded) against a popularity baseline, click
/// probabilities of random, popular, ground-truth-best and held-out items, and topic sizes.
/// </summary>
public sealed record WorldReport
{
    /// <summary>Cut-off K of the ranking metrics.</summary>
    public const int K = 10;

    /// <summary>The world hash.</summary>
    public required string WorldHash { get; init; }

    /// <summary>SHA-256 of the source log.</summary>
    public required string SourceSha256 { get; init; }

    /// <summary>Users in the world.</summary>
    public required int Users { get; init; }

    /// <summary>Items in the world.</summary>
    public required int Items { get; init; }

    /// <summary>Dimension of the ground truth.</summary>
    public required int Dimension { get; init; }

    /// <summary>Train interactions (all users' train histories).</summary>
    public required long TrainInteractions { get; init; }

    /// <summary>What the split removed.</summary>
    public required WorldDropCounts Dropped { get; init; }

    /// <summary>Calibrated click offset.</summary>
    public required double Offset { get; init; }

    /// <summary>Click slope.</summary>
    public required double Slope { get; init; }

    /// <summary>The calibration target for random pairs.</summary>
    public required double TargetRandomClickRate { get; init; }

    /// <summary>HR@10 of ranking all non-train items by ê_u·ê_i.</summary>
    public required double GroundTruthHitRate { get; init; }

    /// <summary>NDCG@10 of the same ranking.</summary>
    public required double GroundTruthNdcg { get; init; }

    /// <summary>HR@10 of ranking all non-train items by train popularity (ties to the lower item id).</summary>
    public required double PopularityHitRate { get; init; }

    /// <summary>NDCG@10 of the popularity ranking.</summary>
    public required double PopularityNdcg { get; init; }

    /// <summary>Fraction of users whose held-out item is also in their train history (a miss for both rankings, which exclude train items).</summary>
    public required double HeldOutInTrainFraction { get; init; }

    /// <summary>Mean click probability of uniformly random (user, item) pairs (a sample independent of the calibration's).</summary>
    public required double RandomClickProbability { get; init; }

    /// <summary>Mean click probability of each user's 10 most popular non-train items.</summary>
    public required double PopularClickProbability { get; init; }

    /// <summary>Mean click probability of each user's ground-truth best non-train item (what the oracle shows first).</summary>
    public required double GroundTruthBestClickProbability { get; init; }

    /// <summary>Mean click probability of each user's ground-truth top 10 non-train items.</summary>
    public required double GroundTruthTop10ClickProbability { get; init; }

    /// <summary>Mean click probability of the real held-out items.</summary>
    public required double HeldOutClickProbability { get; init; }

    /// <summary>Topic names, by topic index.</summary>
    public required IReadOnlyList<string> TopicNames { get; init; }

    /// <summary>Items per topic, by topic index.</summary>
    public required IReadOnlyList<int> TopicSizes { get; init; }

    /// <summary>True when the ground truth beats popularity on both HR@10 and NDCG@10.</summary>
    public required bool IsRealDataWorld { get; init; }

    /// <summary>One sentence: the verdict, stated plainly.</summary>
    public required string Verdict { get; init; }

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.Strict, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Evaluates a world.</summary>
    /// <param name="world">The world.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="world"/> is null.</exception>
    public static WorldReport Compute(RealDataWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var users = world.UserCount;
        var n = world.ItemCount;
        var d = world.Dimension;
        var itemVectors = world.ItemVectors.ToArray();
        var userVectors = world.UserVectors.ToArray();

        var popularity = new int[n + 1];
        long trainInteractions = 0;
        for (var u = 0; u < users; u++)
        {
            foreach (var id in world.TrainHistory(u))
            {
                popularity[id]++;
            }

            trainInteractions += world.TrainHistory(u).Length;
        }

        // Global popularity order (count descending, ties to the lower id) and each item's position in it.
        var byPopularity = Enumerable.Range(1, n).OrderByDescending(id => popularity[id]).ThenBy(id => id).ToArray();
        var popularityPosition = new int[n + 1];
        for (var p = 0; p < n; p++)
        {
            popularityPosition[byPopularity[p]] = p;
        }

        var gtHit = new double[users];
        var gtNdcg = new double[users];
        var popHit = new double[users];
        var popNdcg = new double[users];
        var inTrain = new double[users];
        var popularClick = new double[users];
        var bestClick = new double[users];
        var top10Click = new double[users];
        var heldOutClick = new double[users];
        Parallel.For(
            0,
            users,
            () => (Scores: new double[n + 1], Excluded: new bool[n + 1], Top: new int[K]),
            (u, _, scratch) =>
            {
                var (scores, excluded, top) = scratch;
                var user = userVectors.AsSpan(u * d, d);
                var history = world.TrainHistory(u);
                foreach (var id in history)
                {
                    excluded[id] = true;
                }

                var h = world.HeldOutItem(u);
                for (var id = 1; id <= n; id++)
                {
                    scores[id] = DeterministicMath.Dot(user, itemVectors.AsSpan((id - 1) * d, d));
                }

                heldOutClick[u] = world.ClickProbabilityOfScore(scores[h]);
                if (excluded[h])
                {
                    inTrain[u] = 1;
                }
                else
                {
                    // Rank among non-excluded items, ties to the lower id (as the oracle breaks them).
                    var rank = 1;
                    for (var id = 1; id <= n; id++)
                    {
                        if (!excluded[id] && (scores[id] > scores[h] || (scores[id] == scores[h] && id < h)))
                        {
                            rank++;
                        }
                    }

                    (gtHit[u], gtNdcg[u]) = Score(rank);
                    var popularRank = popularityPosition[h] + 1;
                    foreach (var id in history.ToArray().Distinct())
                    {
                        if (popularityPosition[id] < popularityPosition[h])
                        {
                            popularRank--;
                        }
                    }

                    (popHit[u], popNdcg[u]) = Score(popularRank);
                }

                var taken = TopK(scores, excluded, n, top);
                var sum = 0.0;
                for (var k = 0; k < taken; k++)
                {
                    sum += world.ClickProbabilityOfScore(scores[top[k]]);
                }

                bestClick[u] = taken > 0 ? world.ClickProbabilityOfScore(scores[top[0]]) : 0;
                top10Click[u] = taken > 0 ? sum / taken : 0;

                sum = 0;
                var popular = 0;
                for (var p = 0; p < n && popular < K; p++)
                {
                    var id = byPopularity[p];
                    if (!excluded[id])
                    {
                        sum += world.ClickProbabilityOfScore(scores[id]);
                        popular++;
                    }
                }

                popularClick[u] = popular > 0 ? sum / popular : 0;
                foreach (var id in history)
                {
                    excluded[id] = false;
                }

                return scratch;
            },
            _ => { });

        var randomScores = ClickCalibration.RandomScores(userVectors, itemVectors, d, world.Options.CalibrationSamples, world.Options.Seed, stream: 1);
        var topicSizes = new int[world.TopicCount];
        foreach (var t in world.ItemTopics)
        {
            topicSizes[t]++;
        }

        var gtHr = Mean(gtHit);
        var gtNd = Mean(gtNdcg);
        var popHr = Mean(popHit);
        var popNd = Mean(popNdcg);
        var real = gtHr > popHr && gtNd > popNd;
        var verdict = real
            ? string.Create(CultureInfo.InvariantCulture, $"real-data world: the ground truth predicts held-out items better than popularity (HR@10 {gtHr:F4} vs {popHr:F4}, NDCG@10 {gtNd:F4} vs {popNd:F4}).")
            : string.Create(CultureInfo.InvariantCulture, $"not a real-data world: the ground truth does not predict held-out items better than popularity (HR@10 {gtHr:F4} vs {popHr:F4}, NDCG@10 {gtNd:F4} vs {popNd:F4}).");
        return new WorldReport
        {
            WorldHash = world.ComputeHash(),
            SourceSha256 = world.SourceSha256,
            Users = users,
            Items = n,
            Dimension = d,
            TrainInteractions = trainInteractions,
            Dropped = world.Dropped,
            Offset = world.Offset,
            Slope = world.Slope,
            TargetRandomClickRate = world.Options.TargetRandomClickRate,
            GroundTruthHitRate = gtHr,
            GroundTruthNdcg = gtNd,
            PopularityHitRate = popHr,
            PopularityNdcg = popNd,
            HeldOutInTrainFraction = Mean(inTrain),
            RandomClickProbability = ClickCalibration.MeanClickProbability(randomScores, world.Offset, world.Slope),
            PopularClickProbability = Mean(popularClick),
            GroundTruthBestClickProbability = Mean(bestClick),
            GroundTruthTop10ClickProbability = Mean(top10Click),
            HeldOutClickProbability = Mean(heldOutClick),
            TopicNames = [.. world.TopicNames],
            TopicSizes = topicSizes,
            IsRealDataWorld = real,
            Verdict = verdict,
        };
    }

    /// <summary>The report as indented JSON (camelCase property names).</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>The report as a few human-readable lines (what <c>ipg world build</c> prints).</summary>
    /// <returns>The text, ending with the verdict.</returns>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"world {WorldHash}");
        sb.AppendLine(c, $"  {Users} users, {Items} items, d {Dimension}, {TrainInteractions} train interactions; dropped: {Dropped.ShortHistories} short users, {Dropped.HeldOutOutsideCatalogue} users with an unseen held-out item, {Dropped.ItemsWithoutTrainInteractions} items");
        sb.AppendLine(c, $"  click model: slope {Slope}, offset {Offset:F4} (random pairs calibrated to {TargetRandomClickRate})");
        sb.AppendLine(c, $"  held-out item, full ranking, train items excluded ({HeldOutInTrainFraction:P1} of held-out items are in the user's train history: misses for both)");
        sb.AppendLine(c, $"    ground truth  HR@10 {GroundTruthHitRate:F4}  NDCG@10 {GroundTruthNdcg:F4}");
        sb.AppendLine(c, $"    popularity    HR@10 {PopularityHitRate:F4}  NDCG@10 {PopularityNdcg:F4}");
        sb.AppendLine(c, $"  mean click probability: random {RandomClickProbability:F4}, popular top-10 {PopularClickProbability:F4}, ground-truth best {GroundTruthBestClickProbability:F4}, ground-truth top-10 {GroundTruthTop10ClickProbability:F4}, held-out {HeldOutClickProbability:F4}");
        // The JSON lists every topic; the text shows the largest (topics are ordered by size for metadata).
        const int Shown = 25;
        sb.Append(c, $"  topics ({TopicNames.Count}):");
        for (var t = 0; t < Math.Min(Shown, TopicNames.Count); t++)
        {
            sb.Append(c, $" {TopicNames[t]} {TopicSizes[t]}{(t + 1 < TopicNames.Count ? "," : string.Empty)}");
        }

        if (TopicNames.Count > Shown)
        {
            sb.Append(c, $" … {TopicNames.Count - Shown} more in the JSON");
        }

        sb.AppendLine();
        sb.Append(Verdict);
        return sb.ToString();
    }

    private static (double Hit, double Ndcg) Score(int rank)
        => rank <= K ? (1.0, 1.0 / Math.Log2(rank + 1)) : (0.0, 0.0);

    private static double Mean(double[] values)
    {
        var s = 0.0;
        foreach (var v in values)
        {
            s += v;
        }

        return values.Length == 0 ? 0 : s / values.Length;
    }

    /// <summary>The best <paramref name="top"/>.Length non-excluded ids by score (ties to the lower id), best first.</summary>
    private static int TopK(double[] scores, bool[] excluded, int n, int[] top)
    {
        var count = 0;
        for (var id = 1; id <= n; id++)
        {
            if (excluded[id])
            {
                continue;
            }

            var s = scores[id];
            if (count == top.Length && s <= scores[top[count - 1]])
            {
                continue;
            }

            var p = Math.Min(count, top.Length - 1);
            while (p > 0 && scores[top[p - 1]] < s)
            {
                top[p] = top[p - 1];
                p--;
            }

            top[p] = id;
            count = Math.Min(count + 1, top.Length);
        }

        return count;
    }
}
