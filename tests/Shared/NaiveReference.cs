using Ipg.Guidance;

namespace Ipg.Tests;

/// <summary>
/// An obviously-correct IPG scorer written straight from spec §2: scalar loops in double precision and a
/// full sort. The optimised re-ranker and every guidance model must agree with it.
/// </summary>
internal static class NaiveReference
{
    public sealed record Entry(int ItemId, double Probability, double Guidance, double Score, double Key);

    /// <summary>
    /// A guidance model described by its look-ahead: the move <c>ê_u' = A·ê_u + B·ê_i</c> and whether g is the increase
    /// <c>t·ê_u' − t·ê_u</c> or the absolute <c>t·ê_u'</c>; or the cosine gain.
    /// </summary>
    public sealed record Model(string Kind, double A = 0, double B = 0)
    {
        public static Model Increase(double gamma) => new("increase", gamma, 1 - gamma);

        public static Model Absolute(double gamma) => new("absolute", gamma, 1 - gamma);

        public static Model Affine(double a, double b) => new("increase", a, b);

        public static Model Cosine { get; } = new("cosine");

        public static Model FromForm(GuidanceForm form, double gamma) => form switch
        {
            GuidanceForm.Increase => Increase(gamma),
            GuidanceForm.Absolute => Absolute(gamma),
            _ => Cosine,
        };
    }

    /// <summary>A target as members (vector, weight): one item, a campaign's items, or one free vector.</summary>
    public sealed record Target(IReadOnlyList<(double[] Vector, double Weight)> Members)
    {
        public static Target Item(ItemEmbeddingTable items, int id) => new([(Row(items, id), 1.0)]);

        public static Target Campaign(ItemEmbeddingTable items, IEnumerable<WeightedItem> members) => new(members.Select(m => (Row(items, m.ItemId), (double)m.Weight)).ToList());

        public static Target FromVector(ReadOnlySpan<float> v) => new([(Array.ConvertAll(v.ToArray(), x => (double)x), 1.0)]);
    }

    public static double[] Row(ItemEmbeddingTable items, int id) => Array.ConvertAll(items[id].ToArray(), x => (double)x);

    /// <summary>g of one candidate e for user u: the weighted sum over the target's members (linear forms are linear in t).</summary>
    public static double Guidance(Model model, Target target, double[] u, double[] e)
    {
        double g = 0;
        foreach (var (t, w) in target.Members)
        {
            double gk;
            if (model.Kind == "cosine")
            {
                gk = Cos(e, t) - Cos(u, t);
            }
            else
            {
                // Literally t·ê_u' (− t·ê_u for the increase) with ê_u' = A·ê_u + B·ê_i.
                var next = new double[u.Length];
                for (int c = 0; c < u.Length; c++)
                {
                    next[c] = (model.A * u[c]) + (model.B * e[c]);
                }

                gk = Dot(t, next) - (model.Kind == "increase" ? Dot(t, u) : 0);
            }

            g += w * gk;
        }

        return g;
    }

    public static List<Entry> Rank(ItemEmbeddingTable items, ReadOnlySpan<float> user, Target target, Model model, NegativeGuidancePolicy policy, IEnumerable<int>? candidates, ISet<int> excluded, int k, double strength = 1)
    {
        double[] u = Array.ConvertAll(user.ToArray(), x => (double)x);
        var seen = new HashSet<int>();
        var rows = new List<(int Id, double Logit, double P, double G)>();
        foreach (int id in candidates ?? Enumerable.Range(1, items.ItemCount))
        {
            if (excluded.Contains(id) || !seen.Add(id))
            {
                continue;
            }

            double[] e = Row(items, id);
            double logit = Dot(u, e);
            double p = 1.0 / (1.0 + Math.Exp(-logit));
            rows.Add((id, logit, p, strength == 0 ? 0 : Guidance(model, target, u, e)));
        }

        // Strength λ: g_λ = λ·g + (1 − λ)·max|g|; λ = 0 ranks by the logit.
        double scale = rows.Count == 0 ? 0 : rows.Max(x => Math.Abs(x.G));
        var entries = rows.Select(x =>
        {
            double gl = (strength * x.G) + ((1 - strength) * scale);
            double key = strength == 0 ? x.Logit : policy == NegativeGuidancePolicy.Raw || gl > 0 ? x.P * gl : x.P - 2;
            return new Entry(x.Id, x.P, x.G, x.P * x.G, key);
        });
        return entries.OrderByDescending(x => x.Key).ThenBy(x => x.ItemId).Take(k).ToList(); // k = int.MaxValue: the whole ranking
    }

    /// <summary>The single-item form, for the tests written before guidance models existed.</summary>
    public static List<Entry> Rank(ItemEmbeddingTable items, ReadOnlySpan<float> user, int target, GuidanceForm form, double gamma, NegativeGuidancePolicy policy, IEnumerable<int>? candidates, ISet<int> excluded, int k)
        => Rank(items, user, Target.Item(items, target), Model.FromForm(form, gamma), policy, candidates, excluded, k);

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    public static double Cos(double[] a, double[] b)
    {
        double na = Math.Sqrt(Dot(a, a));
        double nb = Math.Sqrt(Dot(b, b));
        return na * nb > 0 ? Dot(a, b) / (na * nb) : 0;
    }
}
