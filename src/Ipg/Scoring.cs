using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ipg;

/// <summary>Shared scoring steps used by the re-ranker and the baseline policies.</summary>
internal static class Scoring
{
    /// <summary>Logits <c>ê_u·ê_i (+ b_i)</c> for every item 1..N; <paramref name="destination"/>[p] is item p + 1.</summary>
    public static void CatalogueLogits(ReadOnlySpan<float> user, ItemEmbeddingTable items, Span<float> destination)
    {
        DotKernels.RowDots(user, items.ItemRows, destination);
        if (items.HasBiases)
        {
            TensorPrimitives.Add(destination, items.Biases.Slice(1, destination.Length), destination);
        }
    }

    /// <summary>Logits for the given (validated) ids.</summary>
    public static void CandidateLogits(ReadOnlySpan<float> user, ItemEmbeddingTable items, ReadOnlySpan<int> ids, Span<float> destination)
    {
        for (int p = 0; p < ids.Length; p++)
        {
            destination[p] = TensorPrimitives.Dot(user, items.RowUnchecked(ids[p]));
        }

        if (items.HasBiases)
        {
            var biases = items.Biases;
            for (int p = 0; p < ids.Length; p++)
            {
                destination[p] += biases[ids[p]];
            }
        }
    }

    /// <summary>The logit of one (validated) item id.</summary>
    public static float Logit(ReadOnlySpan<float> user, ItemEmbeddingTable items, int id)
        => TensorPrimitives.Dot(user, items.RowUnchecked(id)) + (items.HasBiases ? items.Biases[id] : 0f);

    /// <summary>
    /// <c>keys[k] = g[k] &gt; 0 ? r[k] : p[k] − 2</c> (the accuracy fallback's ranking key), and NaN where g is NaN
    /// (not a candidate), branch-free: with guidance signs mixed at random, a branch per item mispredicts about
    /// half the time. Element-wise: <paramref name="keys"/> may alias <paramref name="g"/> or <paramref name="r"/>.
    /// </summary>
    public static void AccuracyFallbackKeys(ReadOnlySpan<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> r, Span<float> keys)
    {
        int n = keys.Length;
        int k = 0;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            ref float p0 = ref MemoryMarshal.GetReference(p);
            ref float g0 = ref MemoryMarshal.GetReference(g);
            ref float r0 = ref MemoryMarshal.GetReference(r);
            ref float k0 = ref MemoryMarshal.GetReference(keys);
            var two = Vector256.Create(2f);
            var nan = Vector256.Create(float.NaN);
            for (; k <= n - Vector256<float>.Count; k += Vector256<float>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref g0, (nuint)k);
                var positive = Vector256.GreaterThan(gv, Vector256<float>.Zero);
                var fallback = Vector256.ConditionalSelect(Vector256.Equals(gv, gv), Vector256.LoadUnsafe(ref p0, (nuint)k) - two, nan);
                Vector256.ConditionalSelect(positive, Vector256.LoadUnsafe(ref r0, (nuint)k), fallback).StoreUnsafe(ref k0, (nuint)k);
            }
        }

        for (; k < n; k++)
        {
            float gk = g[k];
            keys[k] = gk > 0f ? r[k] : float.IsNaN(gk) ? float.NaN : p[k] - 2f;
        }
    }

    /// <summary>
    /// max |values[p]| over the positions whose id is not excluded and whose value is not NaN; 0 when there are
    /// none. Ids as in <see cref="TopKSelector.Select{T}"/> (empty = position p is item p + 1).
    /// </summary>
    public static float MaxMagnitudeIgnoringNaN(ReadOnlySpan<float> values, ReadOnlySpan<int> ids, ReadOnlySpan<ulong> excluded)
    {
        float max = 0f;
        bool check = !excluded.IsEmpty;
        for (int p = 0; p < values.Length; p++)
        {
            // NaN fails the comparison and is skipped.
            float a = MathF.Abs(values[p]);
            if (a > max)
            {
                int id = ids.IsEmpty ? p + 1 : ids[p];
                if (!check || (excluded[id >> 6] & (1UL << (id & 63))) == 0)
                {
                    max = a;
                }
            }
        }

        return max;
    }

    /// <summary>
    /// <c>max[b] = max_j values[b + j·L]</c> and <c>min[b]</c> likewise, for L = <c>max.Length</c> lanes and
    /// <c>values.Length / L</c> rows (a whole number): column maxima and minima of <paramref name="values"/> seen as a
    /// row-major matrix of L columns — the per-block bounds of the compact first stage, one vector operation per
    /// eight columns and row.
    /// </summary>
    public static void StridedMaxMin(ReadOnlySpan<float> values, Span<float> max, Span<float> min)
    {
        int lanes = max.Length;
        int rows = values.Length / lanes;
        values[..lanes].CopyTo(max);
        values[..lanes].CopyTo(min);
        int b = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float v0 = ref MemoryMarshal.GetReference(values);
            ref float max0 = ref MemoryMarshal.GetReference(max);
            ref float min0 = ref MemoryMarshal.GetReference(min);
            for (; b <= lanes - Vector256<float>.Count; b += Vector256<float>.Count)
            {
                var hi = Vector256.LoadUnsafe(ref v0, (nuint)b);
                var lo = hi;
                for (int j = 1; j < rows; j++)
                {
                    var x = Vector256.LoadUnsafe(ref v0, (nuint)((j * lanes) + b));
                    hi = Vector256.Max(hi, x);
                    lo = Vector256.Min(lo, x);
                }

                hi.StoreUnsafe(ref max0, (nuint)b);
                lo.StoreUnsafe(ref min0, (nuint)b);
            }
        }

        for (; b < lanes; b++)
        {
            for (int j = 1; j < rows; j++)
            {
                float x = values[(j * lanes) + b];
                max[b] = MathF.Max(max[b], x);
                min[b] = MathF.Min(min[b], x);
            }
        }
    }

    /// <summary>
    /// Writes the positions p (ascending) with <c>values[p] ≥ threshold</c> into <paramref name="positions"/>; NaN
    /// counts as passing. Blocks of eight all below the threshold are skipped with one vector compare.
    /// </summary>
    /// <returns>How many positions were written.</returns>
    public static int IndicesAtLeast(ReadOnlySpan<float> values, float threshold, Span<int> positions)
    {
        int count = 0;
        int p = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float v0 = ref MemoryMarshal.GetReference(values);
            var t = Vector256.Create(threshold);
            for (; p <= values.Length - Vector256<float>.Count; p += Vector256<float>.Count)
            {
                var below = Vector256.LessThan(Vector256.LoadUnsafe(ref v0, (nuint)p), t);
                uint pass = ~below.ExtractMostSignificantBits() & 0xFFu;
                while (pass != 0)
                {
                    positions[count++] = p + BitOperations.TrailingZeroCount(pass);
                    pass &= pass - 1;
                }
            }
        }

        for (; p < values.Length; p++)
        {
            if (!(values[p] < threshold))
            {
                positions[count++] = p;
            }
        }

        return count;
    }

    /// <summary>
    /// The ids of the least and the greatest of <c>perItem[1..N]</c> (index = item id) over the ids not set in
    /// <paramref name="excluded"/> (empty = none excluded); the lower id on ties. False when every id is excluded.
    /// </summary>
    public static bool TermExtremes(ReadOnlySpan<float> perItem, ReadOnlySpan<ulong> excluded, out int minId, out int maxId)
    {
        minId = 0;
        maxId = 0;
        float min = float.PositiveInfinity;
        float max = float.NegativeInfinity;
        bool check = !excluded.IsEmpty;
        for (int id = 1; id < perItem.Length; id++)
        {
            if (check && (excluded[id >> 6] & (1UL << (id & 63))) != 0)
            {
                continue;
            }

            float v = perItem[id];
            if (minId == 0 || v < min)
            {
                min = v;
                minId = id;
            }

            if (maxId == 0 || v > max)
            {
                max = v;
                maxId = id;
            }
        }

        return minId != 0;
    }

    /// <summary>Gathers <c>values[ids[p]]</c> into <paramref name="destination"/>, or copies <c>values[1..]</c> when ids is empty.</summary>
    public static void Gather(ReadOnlySpan<float> values, ReadOnlySpan<int> ids, bool catalogue, Span<float> destination)
    {
        if (catalogue)
        {
            values.Slice(1, destination.Length).CopyTo(destination);
            return;
        }

        for (int p = 0; p < ids.Length; p++)
        {
            destination[p] = values[ids[p]];
        }
    }

    /// <summary>
    /// Compacts <paramref name="candidates"/> into <paramref name="destination"/>: drops duplicates
    /// (first occurrence kept) and ids already set in <paramref name="bits"/>, setting the bit of every
    /// id kept. Ids must have been validated.
    /// </summary>
    /// <returns>The number of ids written.</returns>
    public static int CompactCandidates(ReadOnlySpan<int> candidates, Span<ulong> bits, Span<int> destination)
    {
        int count = 0;
        foreach (int id in candidates)
        {
            ref ulong word = ref bits[id >> 6];
            ulong mask = 1UL << (id & 63);
            if ((word & mask) == 0)
            {
                word |= mask;
                destination[count++] = id;
            }
        }

        return count;
    }

    /// <summary>Sets the bit of every id in <paramref name="ids"/> (validated).</summary>
    public static void MarkIds(ReadOnlySpan<int> ids, Span<ulong> bits)
    {
        foreach (int id in ids)
        {
            bits[id >> 6] |= 1UL << (id & 63);
        }
    }

    /// <summary>Throws unless <paramref name="vector"/> has <paramref name="dimension"/> finite values.</summary>
    public static void ValidateVector(ReadOnlySpan<float> vector, int dimension, string paramName)
    {
        if (vector.Length != dimension)
        {
            throw new ArgumentException($"Expected a vector of the encoder's dimension {dimension}, got length {vector.Length}.", paramName);
        }

        int bad = ItemEmbeddingTable.IndexOfNonFinite(vector);
        if (bad >= 0)
        {
            throw new ArgumentException($"Component {bad} is {vector[bad]}; the vector must be finite.", paramName);
        }
    }
}
