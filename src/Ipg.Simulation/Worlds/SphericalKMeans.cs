namespace Ipg.Simulation.Worlds;

/// <summary>
/// Spherical k-means (cosine similarity to unit centroids) with seeded k-means++ initialisation, for topics of the
/// ground-truth item vectors when no metadata is given. Deterministic: fixed seed, fixed summation order, ties to the
/// lowest cluster index.
/// </summary>
internal static class SphericalKMeans
{
    /// <summary>Clusters unit vectors (row-major, n × d) into k clusters.</summary>
    /// <returns>The cluster of every vector (0-based; clusters that end empty are removed and the rest renumbered).</returns>
    public static int[] Cluster(ReadOnlySpan<double> vectors, int d, int k, long seed, int maxIterations = 100)
    {
        var n = vectors.Length / d;
        k = Math.Min(k, n);
        var centroids = new double[k * d];
        var rng = RandomStreams.Create(seed, WorldRandomPurpose.Clustering, 0, 0);

        // k-means++ on the cosine distance 1 − cos.
        var first = RandomStreams.NextIndex(rng, n);
        vectors.Slice(first * d, d).CopyTo(centroids);
        var nearest = new double[n];
        Array.Fill(nearest, double.MaxValue);
        for (var c = 1; c < k; c++)
        {
            var total = 0.0;
            var previous = centroids.AsSpan((c - 1) * d, d);
            for (var i = 0; i < n; i++)
            {
                var dist = Math.Max(0, 1 - DeterministicMath.Dot(vectors.Slice(i * d, d), previous));
                nearest[i] = Math.Min(nearest[i], dist * dist);
                total += nearest[i];
            }

            var pick = n - 1;
            if (total > 0)
            {
                var u = rng.NextDouble() * total;
                var acc = 0.0;
                for (var i = 0; i < n; i++)
                {
                    acc += nearest[i];
                    if (acc > u)
                    {
                        pick = i;
                        break;
                    }
                }
            }
            else
            {
                pick = RandomStreams.NextIndex(rng, n);
            }

            vectors.Slice(pick * d, d).CopyTo(centroids.AsSpan(c * d, d));
        }

        var assignment = new int[n];
        Array.Fill(assignment, -1);
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var changed = false;
            for (var i = 0; i < n; i++)
            {
                var v = vectors.Slice(i * d, d);
                var best = 0;
                var bestScore = double.NegativeInfinity;
                for (var c = 0; c < k; c++)
                {
                    var s = DeterministicMath.Dot(v, centroids.AsSpan(c * d, d));
                    if (s > bestScore)
                    {
                        bestScore = s;
                        best = c;
                    }
                }

                if (assignment[i] != best)
                {
                    assignment[i] = best;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }

            Array.Clear(centroids);
            for (var i = 0; i < n; i++)
            {
                var target = centroids.AsSpan(assignment[i] * d, d);
                var v = vectors.Slice(i * d, d);
                for (var j = 0; j < d; j++)
                {
                    target[j] += v[j];
                }
            }

            for (var c = 0; c < k; c++)
            {
                var centroid = centroids.AsSpan(c * d, d);
                var norm = DeterministicMath.Norm(centroid);
                if (norm > 0)
                {
                    for (var j = 0; j < d; j++)
                    {
                        centroid[j] /= norm;
                    }
                }
            }
        }

        // Renumber so that no topic is empty, in order of first use by cluster index.
        var used = new int[k];
        foreach (var a in assignment)
        {
            used[a]++;
        }

        var renumber = new int[k];
        var next = 0;
        for (var c = 0; c < k; c++)
        {
            renumber[c] = used[c] > 0 ? next++ : -1;
        }

        for (var i = 0; i < n; i++)
        {
            assignment[i] = renumber[assignment[i]];
        }

        return assignment;
    }
}
