using System.Numerics.Tensors;

namespace Ipg;

/// <summary>Shared scoring steps used by the re-ranker and the baseline policies.</summary>
internal static class Scoring
{
    /// <summary>Logits <c>ê_u·ê_i</c> for every item 1..N; <paramref name="destination"/>[p] is item p + 1.</summary>
    public static void CatalogueLogits(ReadOnlySpan<float> user, ItemEmbeddingTable items, Span<float> destination)
    {
        DotKernels.RowDots(user, items.ItemRows, destination);
    }

    /// <summary>Logits for the given (validated) ids.</summary>
    public static void CandidateLogits(ReadOnlySpan<float> user, ItemEmbeddingTable items, ReadOnlySpan<int> ids, Span<float> destination)
    {
        for (int p = 0; p < ids.Length; p++)
        {
            destination[p] = TensorPrimitives.Dot(user, items.RowUnchecked(ids[p]));
        }
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
