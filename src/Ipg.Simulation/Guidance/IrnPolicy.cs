using System.Buffers;
using System.Runtime.CompilerServices;
using Ipg.Encoders;
using Ipg.Policies;

namespace Ipg.Simulation.Guidance;

/// <summary>
/// IRN (Zhu et al., "Influential Recommender System", ICDE 2023; spec §4) as a policy: a target-conditioned
/// next-item model (<see cref="ITargetConditionedScorer"/>, e.g. <c>OnnxIrnModel</c> in Ipg.Onnx) generates an
/// influence path towards the target greedily — each step appends the model's best next item given the history
/// extended by the path so far, skipping items already in the history or the path — and the policy recommends
/// from it, <see cref="IrnPlanning.OpenLoop">planned once</see> or <see cref="IrnPlanning.ClosedLoop">re-planned
/// every round</see>.
/// </summary>
/// <remarks>
/// <para><b>Open loop</b> (IRN as published): at round 0 each user's path of <see cref="PathLength"/> items is
/// planned from the history they had then; round r recommends path item r, whatever was clicked. IRN stops a
/// path at the target; the protocol needs an item every round, so here the path goes on past the target (which
/// is then in the path and never repeated). A run longer than the path extends it the same way. The plan is kept
/// per run, keyed by the run's <see cref="GuidanceTarget"/> instance (the guidance runner prepares one per
/// target run), and is made afresh whenever a context with round 0 arrives.</para>
/// <para><b>Closed loop</b>: every round the path is re-planned from the user's real history, so only its first
/// step is needed: the model's best next item, excluding the history. A slate of k holds the k best.</para>
/// <para>Both modes also skip the items the context excludes. Users: context user u is model user
/// <c>userIds[u]</c>; without a map, u + 1 (the simulator log's 1-based user ids), or 0 (unknown: the model's
/// mean personal factor) beyond the model's <see cref="ITargetConditionedScorer.UserCount"/>. Deterministic: ties
/// go to the lowest item id. Safe for concurrent calls with different targets.</para>
/// </remarks>
public sealed class IrnPolicy : IRecommendationPolicy
{
    /// <summary>The path length planned up front, the paper protocol's 20 rounds.</summary>
    public const int DefaultPathLength = 20;

    /// <summary>Users scored per model call.</summary>
    private const int ChunkUsers = 256;

    private readonly ITargetConditionedScorer _model;
    private readonly int[]? _userIds;
    private readonly ConditionalWeakTable<GuidanceTarget, Plan> _plans = new();
    private readonly object _plansGate = new();

    /// <summary>Creates the policy.</summary>
    /// <param name="model">The target-conditioned next-item model.</param>
    /// <param name="planning">Open loop (plan once) or closed loop (re-plan every round).</param>
    /// <param name="pathLength">Items planned at round 0 in the open loop (≥ 1); default 20.</param>
    /// <param name="userIds">Model user id (0..U) of each population user index (<see cref="PolicyContext.FirstUser"/> + u), or null for that index + 1 (0 beyond U).</param>
    /// <param name="name">Display name; default "IRN (open loop)" or "IRN (closed loop)".</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="planning"/> is not defined, <paramref name="pathLength"/> is below 1, or a user id is outside 0..U.</exception>
    public IrnPolicy(ITargetConditionedScorer model, IrnPlanning planning, int pathLength = DefaultPathLength, IReadOnlyList<int>? userIds = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!Enum.IsDefined(planning))
        {
            throw new ArgumentOutOfRangeException(nameof(planning), planning, "Planning must be OpenLoop or ClosedLoop.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(pathLength, 1);
        if (userIds is not null)
        {
            _userIds = [.. userIds];
            for (int u = 0; u < _userIds.Length; u++)
            {
                if ((uint)_userIds[u] > (uint)model.UserCount)
                {
                    throw new ArgumentOutOfRangeException(nameof(userIds), _userIds[u], $"User map entry {u} is {_userIds[u]}; the model's user ids are 0..{model.UserCount}.");
                }
            }
        }

        _model = model;
        Planning = planning;
        PathLength = pathLength;
        Name = name ?? (planning == IrnPlanning.OpenLoop ? "IRN (open loop)" : "IRN (closed loop)");
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Open or closed loop.</summary>
    public IrnPlanning Planning { get; }

    /// <summary>Items planned at round 0 in the open loop.</summary>
    public int PathLength { get; }

    /// <summary>The model.</summary>
    public ITargetConditionedScorer Model => _model;

    /// <inheritdoc />
    public bool UsesUserEmbeddings => false;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The target is not a single item, the model and the encoder disagree on N, or the user map is shorter than the context.</exception>
    public void Recommend(PolicyContext context, Memory<int> slates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        int users = context.UserCount;
        int k = context.SlateSize;
        if (slates.Length < (long)users * k)
        {
            throw new ArgumentException($"Need {users} users × {k} slate entries, got {slates.Length}.", nameof(slates));
        }

        if (context.Target.Kind != TargetKind.Item)
        {
            throw new ArgumentException($"IRN conditions on one target item; got a {context.Target.Kind} target.", nameof(context));
        }

        if (context.Encoder.ItemCount != _model.ItemCount)
        {
            throw new ArgumentException($"The model scores {_model.ItemCount} items, the context's catalogue has {context.Encoder.ItemCount}.", nameof(context));
        }

        if (_userIds is not null && _userIds.Length < (long)context.FirstUser + users)
        {
            throw new ArgumentException($"The user map has {_userIds.Length} entries, the context users {context.FirstUser}..{context.FirstUser + users - 1}.", nameof(context));
        }

        slates.Span[..(users * k)].Clear();
        if (Planning == IrnPlanning.ClosedLoop)
        {
            var start = Start(context, 0, users);
            Extend(start, context.Target.ItemId, k, cancellationToken, slateSize: k, slates: slates);
            return;
        }

        var plan = GetPlan(context, cancellationToken);
        int index = context.Round - plan.StartRound;
        lock (plan.Gate)
        {
            // A run longer than the plan (or a slate wider than one item) needs more path: extend it, open loop.
            if (index + k > plan.Length)
            {
                Extend(plan, context.Target.ItemId, index + k, cancellationToken);
            }
        }

        var span = slates.Span;
        for (int u = 0; u < users; u++)
        {
            var path = plan.Paths[u];
            var excluded = context.Exclusions is null ? default : context.Exclusions.Row(u);
            int written = 0;
            for (int p = index; p < path.Count && written < k; p++)
            {
                int id = path[p];
                if (excluded.IsEmpty || (excluded[id >> 6] & (1UL << (id & 63))) == 0)
                {
                    span[u * k + written++] = id;
                }
            }
        }
    }

    private Plan GetPlan(PolicyContext context, CancellationToken cancellationToken)
    {
        lock (_plansGate)
        {
            if (context.Round != 0 && _plans.TryGetValue(context.Target, out var existing) && existing.Paths.Length == context.UserCount)
            {
                return existing;
            }
        }

        var plan = Start(context, context.Round, context.UserCount);
        Extend(plan, context.Target.ItemId, PathLength, cancellationToken);
        lock (_plansGate)
        {
            _plans.AddOrUpdate(context.Target, plan);
        }

        return plan;
    }

    /// <summary>A plan with empty paths: the histories and the excluded items (context exclusions ∪ history) at its start.</summary>
    private Plan Start(PolicyContext context, int round, int users)
    {
        int words = (context.Encoder.ItemCount >> 6) + 1;
        var histories = new int[users][];
        var excluded = new ulong[users][];
        var modelUsers = new int[users];
        for (int u = 0; u < users; u++)
        {
            histories[u] = context.Histories[u].ToArray();
            var bits = new ulong[words];
            if (context.Exclusions is { } mask)
            {
                mask.Row(u).CopyTo(bits);
            }

            foreach (int id in histories[u])
            {
                bits[id >> 6] |= 1UL << (id & 63);
            }

            excluded[u] = bits;
            int population = context.FirstUser + u; // the user's index in the whole run (a user range starts later)
            modelUsers[u] = _userIds is not null ? _userIds[population] : (population + 1 <= _model.UserCount ? population + 1 : 0);
        }

        return new Plan(round, histories, excluded, modelUsers);
    }

    /// <summary>
    /// Greedy path generation: appends to every user's path until it has <paramref name="length"/> items (or every
    /// item is excluded). With <paramref name="slates"/>, instead writes the top <paramref name="slateSize"/> of the
    /// first step into them (the closed loop) and leaves the plan alone.
    /// </summary>
    private void Extend(Plan plan, int target, int length, CancellationToken cancellationToken, int slateSize = 0, Memory<int> slates = default)
    {
        int users = plan.Paths.Length;
        int n = _model.ItemCount;
        int chunk = Math.Min(ChunkUsers, Math.Max(1, users));
        float[] scores = ArrayPool<float>.Shared.Rent(chunk * n);
        try
        {
            var targets = new int[chunk];
            Array.Fill(targets, target);
            var rows = new List<ReadOnlyMemory<int>>(chunk);
            var members = new List<int>(chunk);
            while (true)
            {
                bool any = false;
                for (int start = 0; start < users; start += chunk)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    rows.Clear();
                    members.Clear();
                    for (int u = start; u < Math.Min(users, start + chunk); u++)
                    {
                        if (!plan.Finished[u] && plan.Paths[u].Count < length)
                        {
                            rows.Add(plan.Input(u, _model.MaxHistoryLength));
                            members.Add(u);
                        }
                    }

                    if (members.Count == 0)
                    {
                        continue;
                    }

                    any = true;
                    var modelUsers = new int[members.Count];
                    for (int r = 0; r < members.Count; r++)
                    {
                        modelUsers[r] = plan.ModelUsers[members[r]];
                    }

                    _model.ScoreBatch(rows, targets.AsSpan(0, members.Count), modelUsers, scores.AsSpan(0, members.Count * n), cancellationToken);
                    Parallel.For(0, members.Count, new ParallelOptions { CancellationToken = cancellationToken }, r =>
                    {
                        int u = members[r];
                        var row = scores.AsSpan(r * n, n);
                        if (slateSize > 0)
                        {
                            Span<int> order = slateSize <= 64 ? stackalloc int[slateSize] : new int[slateSize];
                            int written = TopKSelector.Select<float>(row, ReadOnlySpan<int>.Empty, plan.Excluded[u], order);
                            var slate = slates.Span.Slice(u * slateSize, slateSize);
                            for (int i = 0; i < written; i++)
                            {
                                slate[i] = order[i] + 1;
                            }

                            plan.Finished[u] = true;
                            return;
                        }

                        Span<int> best = stackalloc int[1];
                        if (TopKSelector.Select<float>(row, ReadOnlySpan<int>.Empty, plan.Excluded[u], best) == 0)
                        {
                            plan.Finished[u] = true;
                            return;
                        }

                        plan.Append(u, best[0] + 1);
                    });
                }

                if (!any || slateSize > 0)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>One run's paths: per user the starting history, the excluded items (growing with the path), the path.</summary>
    private sealed class Plan(int startRound, int[][] histories, ulong[][] excluded, int[] modelUsers)
    {
        public int StartRound { get; } = startRound;

        public ulong[][] Excluded { get; } = excluded;

        public int[] ModelUsers { get; } = modelUsers;

        public List<int>[] Paths { get; } = [.. histories.Select(_ => new List<int>())];

        public bool[] Finished { get; } = new bool[histories.Length];

        public object Gate { get; } = new();

        /// <summary>The shortest path length (how far every user's plan reaches).</summary>
        public int Length => Paths.Length == 0 ? int.MaxValue : Paths.Where((p, u) => !Finished[u]).Select(p => p.Count).DefaultIfEmpty(int.MaxValue).Min();

        /// <summary>History ⊕ path, the most recent <paramref name="maxLength"/> items.</summary>
        public ReadOnlyMemory<int> Input(int user, int maxLength)
        {
            var history = histories[user];
            var path = Paths[user];
            int total = history.Length + path.Count;
            int skip = Math.Max(0, total - maxLength);
            var row = new int[total - skip];
            int w = 0;
            for (int i = skip; i < total; i++)
            {
                row[w++] = i < history.Length ? history[i] : path[i - history.Length];
            }

            return row;
        }

        public void Append(int user, int id)
        {
            Paths[user].Add(id);
            Excluded[user][id >> 6] |= 1UL << (id & 63);
        }
    }
}
