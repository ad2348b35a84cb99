using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ipg;

/// <summary>
/// Partial selection of the best k entries by key (O(n log k), no full sort). Higher keys first; equal
/// keys are broken by the lower item id, so results are deterministic. NaN keys and excluded ids are
/// skipped. The one top-K of the code base: the re-ranker, the baselines, the simulator's oracle and the
/// analysis helpers all select through it, in single (<see cref="float"/>) or double precision.
/// </summary>
internal static class TopKSelector
{
    /// <summary>Selects up to <c>order.Length</c> positions of <paramref name="keys"/>, best first.</summary>
    /// <param name="keys">One key per position.</param>
    /// <param name="ids">Item id of each position; empty means position p is item p + 1 (the whole catalogue).</param>
    /// <param name="excluded">Bitmap over item ids (bit id set = skip); empty means none.</param>
    /// <param name="order">Receives the selected positions, best first; its length is k.</param>
    /// <returns>The number of positions written.</returns>
    public static int Select<T>(ReadOnlySpan<T> keys, ReadOnlySpan<int> ids, ReadOnlySpan<ulong> excluded, Span<int> order)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = order.Length;
        if (k == 0)
        {
            return 0;
        }

        bool identity = ids.IsEmpty;
        bool checkExcluded = !excluded.IsEmpty;
        int count = 0;
        int pos = 0;

        // Fill the heap with the first k entries that count.
        for (; pos < keys.Length && count < k; pos++)
        {
            T key = keys[pos];
            if (T.IsNaN(key))
            {
                continue;
            }

            int id = identity ? pos + 1 : ids[pos];
            if (checkExcluded && (excluded[id >> 6] & (1UL << (id & 63))) != 0)
            {
                continue;
            }

            order[count] = pos;
            SiftUp(order, count, keys, ids);
            count++;
        }

        if (count == k)
        {
            // The heap is full: an entry can only enter with a key ≥ the worst kept key (the threshold). Blocks
            // of eight keys all below it (or NaN) are skipped with one vector compare; the others are offered one
            // by one, exactly as the scalar loop would, so the result does not depend on the vector path.
            T threshold = keys[order[0]];
            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            {
                ref T first = ref MemoryMarshal.GetReference(keys);
                for (; pos <= keys.Length - Vector256<T>.Count; pos += Vector256<T>.Count)
                {
                    if (!Vector256.GreaterThanOrEqualAny(Vector256.LoadUnsafe(ref first, (nuint)pos), Vector256.Create(threshold)))
                    {
                        continue;
                    }

                    for (int q = pos; q < pos + Vector256<T>.Count; q++)
                    {
                        threshold = Offer(q, keys, ids, identity, excluded, checkExcluded, order, count, threshold);
                    }
                }
            }

            for (; pos < keys.Length; pos++)
            {
                threshold = Offer(pos, keys, ids, identity, excluded, checkExcluded, order, count, threshold);
            }
        }

        // Heap-sort the heap in place: the root is the worst, so moving it to the end repeatedly leaves
        // the best entry at index 0.
        for (int end = count - 1; end > 0; end--)
        {
            (order[0], order[end]) = (order[end], order[0]);
            SiftDown(order, 0, end, keys, ids);
        }

        return count;
    }

    /// <summary>Offers position <paramref name="pos"/> to the full heap; returns the (possibly new) threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Offer<T>(int pos, ReadOnlySpan<T> keys, ReadOnlySpan<int> ids, bool identity, ReadOnlySpan<ulong> excluded, bool checkExcluded, Span<int> order, int count, T threshold)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T key = keys[pos];
        if (!(key >= threshold))
        {
            return threshold; // below the worst kept key, or NaN
        }

        int id = identity ? pos + 1 : ids[pos];
        if (checkExcluded && (excluded[id >> 6] & (1UL << (id & 63))) != 0)
        {
            return threshold;
        }

        if (key > threshold || id < IdOf(ids, order[0]))
        {
            order[0] = pos;
            SiftDown(order, 0, count, keys, ids);
            return keys[order[0]];
        }

        return threshold;
    }

    private static int IdOf(ReadOnlySpan<int> ids, int pos) => ids.IsEmpty ? pos + 1 : ids[pos];

    /// <summary>True when position <paramref name="a"/> ranks below position <paramref name="b"/>.</summary>
    private static bool Worse<T>(int a, int b, ReadOnlySpan<T> keys, ReadOnlySpan<int> ids)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T ka = keys[a];
        T kb = keys[b];
        return ka < kb || (ka == kb && IdOf(ids, a) > IdOf(ids, b));
    }

    private static void SiftUp<T>(Span<int> heap, int index, ReadOnlySpan<T> keys, ReadOnlySpan<int> ids)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int item = heap[index];
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            if (!Worse(item, heap[parent], keys, ids))
            {
                break;
            }

            heap[index] = heap[parent];
            index = parent;
        }

        heap[index] = item;
    }

    private static void SiftDown<T>(Span<int> heap, int index, int size, ReadOnlySpan<T> keys, ReadOnlySpan<int> ids)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int item = heap[index];
        while (true)
        {
            int child = (2 * index) + 1;
            if (child >= size)
            {
                break;
            }

            if (child + 1 < size && Worse(heap[child + 1], heap[child], keys, ids))
            {
                child++;
            }

            if (!Worse(heap[child], item, keys, ids))
            {
                break;
            }

            heap[index] = heap[child];
            index = child;
        }

        heap[index] = item;
    }
}
