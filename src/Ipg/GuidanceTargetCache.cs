using System.Globalization;
using System.Text;

namespace Ipg;

/// <summary>
/// Prepared targets for a service: prepare once, reuse for every request, bounded in size (least recently used
/// out first), and invalidated when the encoder's item table changes (a swapped model gets fresh targets, never
/// stale ones from the old table). Thread-safe.
/// </summary>
/// <remarks>
/// <para>A prepared target costs one pass over the item table (N·d) and keeps N + 1 floats (twice that once the
/// cosine form has used it), so with N = 1,000,000 a cached target holds 4–8 MB: size <c>capacity</c> to the
/// targets and campaigns that are live at once.</para>
/// <para>Lookups of single items allocate nothing on a hit; campaign lookups build a small key string. A miss
/// prepares outside the lock, so a slow preparation never blocks requests for other targets.</para>
/// </remarks>
public sealed class GuidanceTargetCache
{
    private readonly ISequentialEncoder _encoder;
    private readonly object _gate = new();
    private readonly Dictionary<Key, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new();
    private ItemEmbeddingTable? _table;

    /// <summary>Creates an empty cache over <paramref name="encoder"/>'s item table.</summary>
    /// <param name="encoder">The encoder whose <see cref="ISequentialEncoder.ItemEmbeddings"/> the targets are prepared over (read on every lookup).</param>
    /// <param name="capacity">The most targets kept (≥ 1); default 1,024.</param>
    /// <exception cref="ArgumentNullException"><paramref name="encoder"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public GuidanceTargetCache(ISequentialEncoder encoder, int capacity = 1024)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _encoder = encoder;
        Capacity = capacity;
    }

    /// <summary>The most targets kept.</summary>
    public int Capacity { get; }

    /// <summary>How many targets are cached now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The prepared target for item <paramref name="targetItemId"/>, prepared on first use.</summary>
    /// <param name="targetItemId">The target id in <c>1..N</c>.</param>
    /// <returns>A target prepared over the encoder's current item table.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetItemId"/> is outside <c>1..N</c>.</exception>
    public GuidanceTarget GetOrPrepare(int targetItemId)
    {
        var table = _encoder.ItemEmbeddings;
        if ((uint)(targetItemId - 1) >= (uint)table.ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(targetItemId), targetItemId, $"A target item must be a real item id in 1..{table.ItemCount} (0 is padding).");
        }

        var key = new Key(targetItemId, null);
        return Lookup(table, key) ?? Insert(table, key, GuidanceTarget.Create(table, targetItemId));
    }

    /// <summary>
    /// The prepared campaign of <paramref name="members"/>, prepared on first use. Campaigns with the same items and
    /// weights in any order share one entry.
    /// </summary>
    /// <param name="members">The items and weights (see <see cref="GuidanceTarget.CreateCampaign(ItemEmbeddingTable, ReadOnlySpan{WeightedItem})"/>).</param>
    /// <returns>A target prepared over the encoder's current item table.</returns>
    /// <exception cref="ArgumentException">The campaign is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>1..N</c>.</exception>
    public GuidanceTarget GetOrPrepareCampaign(ReadOnlySpan<WeightedItem> members)
    {
        var table = _encoder.ItemEmbeddings;
        var sorted = members.ToArray();
        Array.Sort(sorted, static (a, b) => a.ItemId.CompareTo(b.ItemId));
        var text = new StringBuilder();
        foreach (var (id, weight) in sorted)
        {
            text.Append(CultureInfo.InvariantCulture, $"{id}:{BitConverter.SingleToInt32Bits(weight)};");
        }

        var key = new Key(0, text.ToString());
        return Lookup(table, key) ?? Insert(table, key, GuidanceTarget.CreateCampaign(table, members));
    }

    /// <summary>Drops every cached target.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _recency.Clear();
        }
    }

    private GuidanceTarget? Lookup(ItemEmbeddingTable table, Key key)
    {
        lock (_gate)
        {
            Revalidate(table);
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                return node.Value.Target;
            }

            return null;
        }
    }

    private GuidanceTarget Insert(ItemEmbeddingTable table, Key key, GuidanceTarget prepared)
    {
        lock (_gate)
        {
            Revalidate(table);
            if (!ReferenceEquals(_table, table))
            {
                // The table changed again while this target was prepared: hand it out, but do not keep it.
                return prepared;
            }

            if (_entries.TryGetValue(key, out var existing))
            {
                return existing.Value.Target; // another request prepared it meanwhile
            }

            var node = _recency.AddFirst(new Entry(key, prepared));
            _entries[key] = node;
            while (_entries.Count > Capacity)
            {
                var last = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(last.Value.Key);
            }

            return prepared;
        }
    }

    /// <summary>Clears the cache when the encoder's table is no longer the one the entries were prepared over.</summary>
    private void Revalidate(ItemEmbeddingTable table)
    {
        if (!ReferenceEquals(_table, table))
        {
            _entries.Clear();
            _recency.Clear();
            _table = table;
        }
    }

    private readonly record struct Key(int ItemId, string? Campaign);

    private sealed record Entry(Key Key, GuidanceTarget Target);
}
