namespace Ipg.Tests;

/// <summary>
/// An obviously-correct IPG scorer written straight from spec §2: scalar loops in double precision and a
/// full sort. The optimised re-ranker must agree with it.
/// </summary>
internal static class NaiveReference
{
    public sealed record Entry(int ItemId, double Probability, double Guidance, double Score, double Key);

    public static List<Entry> Rank(ItemEmbeddingTable items, ReadOnlySpan<float> user, int target, IpgOptions options, IEnumerable<int>? candidates, ISet<int> excluded, int k)
    {
        int d = items.Dimension;
        double[] u = Array.ConvertAll(user.ToArray(), x => (double)x);
        double[] j = Array.ConvertAll(items[target].ToArray(), x => (double)x);
        double gamma = options.Gamma;
        double uj = Dot(u, j);
        var seen = new HashSet<int>();
        var entries = new List<Entry>();
        foreach (int id in candidates ?? Enumerable.Range(1, items.ItemCount))
        {
            if (excluded.Contains(id) || !seen.Add(id))
            {
                continue;
            }

            double[] e = Array.ConvertAll(items[id].ToArray(), x => (double)x);
            double p = 1.0 / (1.0 + Math.Exp(-Dot(u, e)));
            double g;
            switch (options.Form)
            {
                case GuidanceForm.Increase:
                    {
                        // Literally ê_j·ê_u' − ê_j·ê_u with ê_u' = γ·ê_u + (1 − γ)·ê_i.
                        var next = new double[d];
                        for (int c = 0; c < d; c++)
                        {
                            next[c] = (gamma * u[c]) + ((1 - gamma) * e[c]);
                        }

                        g = Dot(j, next) - uj;
                        break;
                    }

                case GuidanceForm.Absolute:
                    {
                        var next = new double[d];
                        for (int c = 0; c < d; c++)
                        {
                            next[c] = (gamma * u[c]) + ((1 - gamma) * e[c]);
                        }

                        g = Dot(j, next);
                        break;
                    }

                default:
                    g = Cos(e, j) - Cos(u, j);
                    break;
            }

            double r = p * g;
            double key = options.NegativeGuidance == NegativeGuidancePolicy.Raw || g > 0 ? r : p - 2;
            entries.Add(new Entry(id, p, g, r, key));
        }

        return entries.OrderByDescending(x => x.Key).ThenBy(x => x.ItemId).Take(k).ToList();
    }

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
