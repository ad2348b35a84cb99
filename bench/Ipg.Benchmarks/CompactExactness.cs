using System.Diagnostics;
using System.Globalization;
using Ipg.Encoders;

namespace Ipg.Benchmarks;

/// <summary>
/// How often the compact path's top-K differs from the fp32 path's, and by how much, over many users × targets
/// (issue #18). For every (table, N, d, options, K): the same users, targets and exclusions through
/// <c>RerankCatalogue</c> with and without <see cref="IpgOptions.CompactTable"/>; a list counts as differing when any
/// position holds another item. The gap is the fp32 ranking key at a position minus the compact list's key there
/// (≥ 0: the compact list is the exact ranking of a subset), absolute and relative to the fp32 key's magnitude. Keys are rebuilt
/// from the entries (p̂, g) with the re-ranker's formula. M = K is run alongside the default shortlist for contrast.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/Ipg.Benchmarks -- --compact-exactness [users] [targets] [N,N,...]</c>;
/// prints one Markdown row per cell.
/// </remarks>
internal static class CompactExactness
{
    public static void Run(int users, int targets, int[] sizes)
    {
        Console.WriteLine($"users {users} × targets {targets} per cell, 50 random exclusions per user; {Environment.ProcessorCount} cores; load {Load()}");
        Console.WriteLine();
        Console.WriteLine("| table | N | d | options | K | M | lists | lists differing | positions differing (max in a list) | items missed | max key gap | max relative key gap | seconds (cell's options) |");
        Console.WriteLine("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var kind in new[] { "uniform", "clustered" })
        {
            foreach (int n in sizes)
            {
                foreach (int d in new[] { 48, 64, 128 })
                {
                    RunTable(kind, n, d, users, targets);
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"load at the end {Load()}");
    }

    private static void RunTable(string kind, int n, int d, int users, int targets)
    {
        var random = new Random(HashCode.Combine(kind, n, d) & 0x7fffffff);
        var (items, userVectors) = kind == "uniform" ? Uniform(n, d, users, random) : Clustered(n, d, users, random);
        var compact = new CompactItemTable(items);
        var encoder = new InMemoryEncoder(items);
        var targetIds = Enumerable.Range(0, targets).Select(_ => random.Next(1, n + 1)).ToArray();
        var exclusions = Enumerable.Range(0, users).Select(_ => Enumerable.Range(0, 50).Select(_ => random.Next(1, n + 1)).Distinct().ToArray()).ToArray();
        foreach (var (name, options) in new[] { ("paper", IpgOptions.Paper), ("default", IpgOptions.Default) })
        {
            var exact = new IpgReranker(encoder, options);
            var prepared = targetIds.Select(exact.PrepareTarget).ToArray();
            foreach (var t in prepared)
            {
                _ = t.TargetCosines;
            }

            // The fp32 top-100 once per pair; its first 10 entries are the fp32 top-10 (the ranking is a total order).
            var configs = new[] { (K: 10, M: (int?)null), (K: 10, M: 10), (K: 100, M: null), (K: 100, M: 100) };
            var fast = configs.Select(c => new IpgReranker(encoder, options with { CompactTable = compact, CompactShortlist = c.M })).ToArray();
            var cells = configs.Select(_ => new Cell()).ToArray();
            var watch = Stopwatch.StartNew();
            Parallel.For(0, users * targets, new ParallelOptions { MaxDegreeOfParallelism = 2 }, pair =>
            {
                int u = pair / targets;
                var target = prepared[pair % targets];
                var user = userVectors.AsSpan(u * d, d);
                var expected = new RankedItem[100];
                var actual = new RankedItem[100];
                int e = exact.RerankCatalogue(user, target, expected, exclusions[u]);
                float scale = options.Strength < 1f ? Scale(target, user, exclusions[u]) : 0f;
                for (int c = 0; c < configs.Length; c++)
                {
                    int k = configs[c].K;
                    int a = fast[c].RerankCatalogue(user, target, actual.AsSpan(0, k), exclusions[u]);
                    cells[c].Add(expected.AsSpan(0, Math.Min(e, k)), actual.AsSpan(0, a), options, scale);
                }
            });

            for (int c = 0; c < configs.Length; c++)
            {
                var (k, shortlist) = configs[c];
                var cell = cells[c];
                int m = Math.Max(k, shortlist ?? Math.Max(4 * k, 256));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {kind} | {n:N0} | {d} | {name} | {k} | {m}{(shortlist is null ? " (default)" : "")} | {cell.Lists} | {cell.Differing} | {cell.Positions} ({cell.MaxPositions}) | {cell.Missed} | {cell.MaxGap:0.###e+0} | {cell.MaxRelativeGap:0.###e+0} | {watch.Elapsed.TotalSeconds:0} |"));
            }
        }
    }

    /// <summary>The benchmarks' table: components uniform in [−0.5, 0.5), users likewise.</summary>
    private static (ItemEmbeddingTable Items, float[] Users) Uniform(int n, int d, int users, Random random)
    {
        var rows = new float[n * d];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)(random.NextDouble() - 0.5);
        }

        var u = new float[users * d];
        for (int i = 0; i < u.Length; i++)
        {
            u[i] = (float)(random.NextDouble() - 0.5);
        }

        return (ItemEmbeddingTable.FromItemRows(n, d, rows), u);
    }

    /// <summary>
    /// A harder table: 200 Gaussian topics, items near one topic with log-normal norms (σ 0.5) and an occasional
    /// large component (1 in 64 components ×4), and users near a topic scaled so that logits spread like a trained
    /// model's (a standard deviation of about 3).
    /// </summary>
    private static (ItemEmbeddingTable Items, float[] Users) Clustered(int n, int d, int users, Random random)
    {
        const int topics = 200;
        var centres = new float[topics * d];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = (float)Gaussian(random);
        }

        var rows = new float[n * d];
        for (int p = 0; p < n; p++)
        {
            int topic = random.Next(topics);
            float norm = (float)Math.Exp(0.5 * Gaussian(random));
            for (int k = 0; k < d; k++)
            {
                double v = (0.7 * centres[(topic * d) + k]) + (0.7 * Gaussian(random));
                if (random.Next(64) == 0)
                {
                    v *= 4;
                }

                rows[(p * d) + k] = (float)(v * norm / Math.Sqrt(d));
            }
        }

        var u = new float[users * d];
        for (int s = 0; s < users; s++)
        {
            int topic = random.Next(topics);
            for (int k = 0; k < d; k++)
            {
                // Item components have a variance of about 1.6/d, so Σ_k u_k·e_k has a standard deviation of about 3.
                u[(s * d) + k] = (float)(((0.8 * centres[(topic * d) + k]) + (0.6 * Gaussian(random))) * 2.4);
            }
        }

        return (ItemEmbeddingTable.FromItemRows(n, d, rows), u);
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>S = max |g| over the items not excluded, for the cosine model (the only λ &lt; 1 option set here).</summary>
    private static float Scale(GuidanceTarget target, ReadOnlySpan<float> user, int[] excluded)
    {
        var cosines = target.TargetCosines;
        float userCosine = target.Cosine(user);
        var skip = new HashSet<int>(excluded);
        float max = 0f;
        for (int id = 1; id < cosines.Length; id++)
        {
            if (!skip.Contains(id))
            {
                max = MathF.Max(max, MathF.Abs(cosines[id] - userCosine));
            }
        }

        return max;
    }

    /// <summary>The ranking key of an entry: p̂·g_λ where g_λ = λ·g + (1 − λ)·S &gt; 0, else p̂ − 2 (accuracy fallback); p̂·g raw.</summary>
    private static float Key(RankedItem entry, IpgOptions options, float scale)
    {
        float shifted = options.Strength < 1f ? (entry.Guidance * options.Strength) + ((1f - options.Strength) * scale) : entry.Guidance;
        float r = entry.Probability * shifted;
        return options.NegativeGuidance == NegativeGuidancePolicy.Raw || shifted > 0f ? r : entry.Probability - 2f;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed class Cell
    {
        private readonly object _gate = new();

        public int Lists { get; private set; }

        public int Differing { get; private set; }

        public long Positions { get; private set; }

        public int MaxPositions { get; private set; }

        public long Missed { get; private set; }

        public double MaxGap { get; private set; }

        public double MaxRelativeGap { get; private set; }

        public void Add(ReadOnlySpan<RankedItem> expected, ReadOnlySpan<RankedItem> actual, IpgOptions options, float scale)
        {
            int positions = 0;
            double gap = 0;
            double relative = 0;
            int length = Math.Min(expected.Length, actual.Length);
            for (int k = 0; k < length; k++)
            {
                if (expected[k].ItemId != actual[k].ItemId)
                {
                    positions++;
                    float e = Key(expected[k], options, scale);
                    float a = Key(actual[k], options, scale);
                    gap = Math.Max(gap, e - a);
                    relative = Math.Max(relative, (e - a) / Math.Max(Math.Abs(e), 1e-30f));
                }
            }

            positions += Math.Abs(expected.Length - actual.Length);
            var expectedIds = new HashSet<int>();
            foreach (var entry in expected)
            {
                expectedIds.Add(entry.ItemId);
            }

            int missed = expected.Length;
            foreach (var entry in actual)
            {
                if (expectedIds.Contains(entry.ItemId))
                {
                    missed--;
                }
            }

            lock (_gate)
            {
                Lists++;
                Positions += positions;
                Missed += missed;
                if (positions > 0)
                {
                    Differing++;
                    MaxPositions = Math.Max(MaxPositions, positions);
                    MaxGap = Math.Max(MaxGap, gap);
                    MaxRelativeGap = Math.Max(MaxRelativeGap, relative);
                }
            }
        }
    }
}
