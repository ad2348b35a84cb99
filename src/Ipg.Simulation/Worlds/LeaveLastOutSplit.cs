namespace Ipg.Simulation.Worlds;

/// <summary>
/// The split of a real-data world (docs/real-data.md "Split"): every user's last item is held out, the rest is the train
/// history; users with fewer than the minimum number of interactions are dropped; the catalogue is the items that occur
/// in a kept train history (renumbered 1..N in the log's id order), and users whose held-out item is outside it are
/// dropped too — repeated until nothing changes, since dropping a user can empty an item.
/// </summary>
internal sealed class LeaveLastOutSplit
{
    /// <summary>Kept users as indices into the log.</summary>
    public required int[] Users { get; init; }

    /// <summary>Catalogue: for world item id k, the log's dense id <c>Items[k − 1]</c>.</summary>
    public required int[] Items { get; init; }

    /// <summary>Per kept user, the train history in world item ids 1..N.</summary>
    public required int[][] Train { get; init; }

    /// <summary>Per kept user, the held-out item in world item ids.</summary>
    public required int[] HeldOut { get; init; }

    /// <summary>What was removed.</summary>
    public required WorldDropCounts Dropped { get; init; }

    /// <summary>Total train interactions.</summary>
    public long TrainInteractions => Train.Sum(t => (long)t.Length);

    public static LeaveLastOutSplit Create(InteractionLog log, int minInteractions)
    {
        var kept = new List<int>();
        var shortHistories = 0;
        for (var u = 0; u < log.UserCount; u++)
        {
            if (log.Sequence(u).Length >= minInteractions)
            {
                kept.Add(u);
            }
            else
            {
                shortHistories++;
            }
        }

        var heldOutDropped = 0;
        bool[] inCatalogue;
        while (true)
        {
            inCatalogue = new bool[log.ItemCount + 1];
            foreach (var u in kept)
            {
                foreach (var id in log.Sequence(u)[..^1])
                {
                    inCatalogue[id] = true;
                }
            }

            var before = kept.Count;
            kept.RemoveAll(u => !inCatalogue[log.Sequence(u)[^1]]);
            heldOutDropped += before - kept.Count;
            if (kept.Count == before)
            {
                break;
            }
        }

        if (kept.Count == 0)
        {
            throw new ArgumentException($"log has no user with at least {minInteractions} interactions whose last item also occurs in a train history.", nameof(log));
        }

        var worldId = new int[log.ItemCount + 1];
        var items = new List<int>();
        for (var id = 1; id <= log.ItemCount; id++)
        {
            if (inCatalogue[id])
            {
                items.Add(id);
                worldId[id] = items.Count;
            }
        }

        var train = new int[kept.Count][];
        var heldOut = new int[kept.Count];
        for (var k = 0; k < kept.Count; k++)
        {
            var s = log.Sequence(kept[k]);
            var t = new int[s.Length - 1];
            for (var j = 0; j < t.Length; j++)
            {
                t[j] = worldId[s[j]];
            }

            train[k] = t;
            heldOut[k] = worldId[s[^1]];
        }

        return new LeaveLastOutSplit
        {
            Users = [.. kept],
            Items = [.. items],
            Train = train,
            HeldOut = heldOut,
            Dropped = new WorldDropCounts(shortHistories, heldOutDropped, log.ItemCount - items.Count),
        };
    }
}
