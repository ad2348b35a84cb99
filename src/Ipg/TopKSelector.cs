namespace Ipg;

/// <summary>
/// Partial selection of the best k entries by key (O(n log k), no full sort). Higher keys first; equal
/// keys are broken by the lower item id, so results are deterministic. NaN keys and excluded ids are
/// skipped.
/// </summary>
internal static class TopKSelector
{
    /// <summary>Selects up to <c>order.Length</c> positions of <paramref name="keys"/>, best first.</summary>
    /// <param name="keys">One key per position.</param>
    /// <param name="ids">Item id of each position; empty means position p is item p + 1 (the whole catalogue).</param>
    /// <param name="excluded">Bitmap over item ids (bit id set = skip); empty means none.</param>
    /// <param name="order">Receives the selected positions, best first; its length is k.</param>
    /// <returns>The number of positions written.</returns>
    public static int Select(ReadOnlySpan<float> keys, ReadOnlySpan<int> ids, ReadOnlySpan<ulong> excluded, Span<int> order)
    {
        int k = order.Length;
        if (k == 0)
        {
            return 0;
        }

        bool identity = ids.IsEmpty;
        bool checkExcluded = !excluded.IsEmpty;
        int count = 0;
        for (int pos = 0; pos < keys.Length; pos++)
        {
            float key = keys[pos];
            if (float.IsNaN(key))
            {
                continue;
            }

            int id = identity ? pos + 1 : ids[pos];
            if (checkExcluded && (excluded[id >> 6] & (1UL << (id & 63))) != 0)
            {
                continue;
            }

            if (count < k)
            {
                order[count] = pos;
                SiftUp(order, count, keys, ids);
                count++;
            }
            else
            {
                int root = order[0];
                float rootKey = keys[root];
                if (key > rootKey || (key == rootKey && id < IdOf(ids, root)))
                {
                    order[0] = pos;
                    SiftDown(order, 0, count, keys, ids);
                }
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

    private static int IdOf(ReadOnlySpan<int> ids, int pos) => ids.IsEmpty ? pos + 1 : ids[pos];

    /// <summary>True when position <paramref name="a"/> ranks below position <paramref name="b"/>.</summary>
    private static bool Worse(int a, int b, ReadOnlySpan<float> keys, ReadOnlySpan<int> ids)
    {
        float ka = keys[a];
        float kb = keys[b];
        return ka < kb || (ka == kb && IdOf(ids, a) > IdOf(ids, b));
    }

    private static void SiftUp(Span<int> heap, int index, ReadOnlySpan<float> keys, ReadOnlySpan<int> ids)
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

    private static void SiftDown(Span<int> heap, int index, int size, ReadOnlySpan<float> keys, ReadOnlySpan<int> ids)
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
