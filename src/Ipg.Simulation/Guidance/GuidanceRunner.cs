using Ipg.Policies;
using Ipg.Simulation.Metrics;

namespace Ipg.Simulation.Guidance;

/// <summary>
/// The closed guidance loop of spec §3 for one target at a time: from the saved end-of-collection
/// state, every round each user's current sequence is encoded, the policy recommends one item per
/// user, the simulator samples clicks, clicked items are appended to the sequences (sliding window
/// = the encoder's <see cref="ISequentialEncoder.MaxHistoryLength"/>), every recommended item is
/// excluded for that user afterwards, and a <see cref="GuidanceMetricsRecorder"/> is fed.
/// </summary>
/// <remarks>
/// <para>Item ids: 1..N (0 = padding) everywhere — the encoder, the policies and the simulator share them.</para>
/// <para>Only users whose sequence changed are re-encoded; the round-0 encodings are computed once
/// and shared by every target and policy run on this runner.</para>
/// <para>Deterministic given the start state, the options and deterministic policies/encoders: the
/// simulator draws clicks from its round-indexed streams (per target when
/// <see cref="GuidanceOptions.IndependentClicksPerTarget"/>), independent of threading.</para>
/// <para>Policy contexts are valid during the <c>Recommend</c> call only (the runner reuses buffers).
/// One runner may run several targets concurrently; each run works on its own clone of the state.</para>
/// </remarks>
public sealed class GuidanceRunner
{
    private readonly TopicSimulator _start;
    private readonly ISequentialEncoder _encoder;
    private readonly int[][] _initial;
    private readonly GuidanceOptions _options;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int First, int Count), Lazy<float[]>> _initialEncodings = new();

    /// <summary>Creates a runner.</summary>
    /// <param name="startState">The end-of-collection state; never modified (each run clones it).</param>
    /// <param name="encoder">The sequential encoder; its item count must equal the simulator's.</param>
    /// <param name="initialSequences">Per user the logged clicks, oldest first, as encoder ids 1..N.</param>
    /// <param name="options">Guidance parameters; validated.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">Sizes disagree or an id is out of range.</exception>
    public GuidanceRunner(TopicSimulator startState, ISequentialEncoder encoder, IReadOnlyList<int[]> initialSequences, GuidanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(startState);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(initialSequences);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (encoder.ItemCount != startState.ItemCount)
        {
            throw new ArgumentException($"The encoder knows {encoder.ItemCount} items, the simulator {startState.ItemCount}.", nameof(encoder));
        }

        if (initialSequences.Count != startState.UserCount)
        {
            throw new ArgumentException($"Expected one sequence per user ({startState.UserCount}), got {initialSequences.Count}.", nameof(initialSequences));
        }

        _initial = new int[initialSequences.Count][];
        for (var u = 0; u < _initial.Length; u++)
        {
            var seq = initialSequences[u] ?? throw new ArgumentException($"Sequence {u} is null.", nameof(initialSequences));
            foreach (var id in seq)
            {
                if (id < 1 || id > encoder.ItemCount)
                {
                    throw new ArgumentException($"Sequence {u} holds id {id}; ids are 1..{encoder.ItemCount}.", nameof(initialSequences));
                }
            }

            _initial[u] = (int[])seq.Clone();
        }

        _start = startState.Clone();
        _encoder = encoder;
        _options = options;
    }

    /// <summary>The guidance parameters.</summary>
    public GuidanceOptions Options => _options;

    /// <summary>The encoder.</summary>
    public ISequentialEncoder Encoder => _encoder;

    /// <summary>Number of users.</summary>
    public int UserCount => _start.UserCount;

    /// <summary>Number of items.</summary>
    public int ItemCount => _start.ItemCount;

    /// <summary>Runs the closed loop for one target.</summary>
    /// <param name="policy">The policy; an <see cref="ISimulatorBoundPolicy"/> is bound to this run's simulator.</param>
    /// <param name="targetItemId">The target, encoder id 1..N.</param>
    /// <param name="progress">Receives a report after every round; optional.</param>
    /// <param name="cancellationToken">Checked every round and passed to the policy and encoder.</param>
    /// <returns>The target's metrics at every checkpoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="policy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetItemId"/> is outside 1..N.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public TargetMetrics RunTarget(IRecommendationPolicy policy, int targetItemId, IProgress<GuidanceProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunTarget(policy, targetItemId, 0, 1, progress, cancellationToken);

    internal TargetMetrics RunTarget(IRecommendationPolicy policy, int targetItemId, int targetIndex, int targetCount, IProgress<GuidanceProgress>? progress, CancellationToken cancellationToken) =>
        RunTargetRange(policy, targetItemId, 0, UserCount, targetIndex, targetCount, progress, cancellationToken).Metrics;

    /// <summary>
    /// The closed loop for one target over users <paramref name="firstUser"/> .. + <paramref name="userCount"/> − 1 only:
    /// those users click, are recommended to and are encoded exactly as in the whole run (the simulator's range skips the
    /// other users' draws; the policy sees <see cref="PolicyContext.FirstUser"/>), given an encoder whose output for a
    /// user does not depend on the batch it is in. The sums add up over ranges to the whole run's metrics bit for bit.
    /// </summary>
    internal (TargetMetrics Metrics, IReadOnlyList<CheckpointSums> Sums) RunTargetRange(IRecommendationPolicy policy, int targetItemId, int firstUser, int userCount, int targetIndex, int targetCount, IProgress<GuidanceProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (targetItemId < 1 || targetItemId > ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(targetItemId), targetItemId, $"The target must be an item id in 1..{ItemCount}.");
        }

        if (firstUser < 0 || userCount < 1 || userCount > UserCount - firstUser)
        {
            throw new ArgumentOutOfRangeException(nameof(userCount), userCount, $"Users {firstUser}..{firstUser + userCount - 1} are not a range of 0..{UserCount - 1}.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var users = userCount;
        var d = _encoder.Dimension;
        var k = _options.SlateSize;
        var maxLength = Math.Max(1, _encoder.MaxHistoryLength);

        var sim = userCount == UserCount ? _start.Clone() : _start.TakeUserRange(firstUser, userCount);
        if (_options.IndependentClicksPerTarget)
        {
            sim.ClickStream = targetItemId;
        }

        if (policy is ISimulatorBoundPolicy bound)
        {
            policy = bound.BindTo(sim);
        }

        var target = GuidanceTarget.Create(_encoder.ItemEmbeddings, targetItemId);
        var mask = new ExclusionMask(users, ItemCount);
        var sequences = new List<int>[users];
        var windows = new ReadOnlyMemory<int>[users];
        for (var u = 0; u < users; u++)
        {
            var initial = _initial[firstUser + u];
            sequences[u] = new List<int>(initial.Length + _options.Rounds);
            sequences[u].AddRange(initial);
            windows[u] = Window(initial, maxLength);
            if (_options.ExcludeLoggedItems)
            {
                foreach (var id in initial)
                {
                    mask.Add(u, id);
                }
            }
        }

        var embeddings = (float[])_initialEncodings.GetOrAdd(
            (firstUser, userCount),
            range => new Lazy<float[]>(() => EncodeInitial(range.First, range.Count), LazyThreadSafetyMode.ExecutionAndPublication)).Value.Clone();
        var slates = new int[users * k];
        var shown = new int[users];
        var clicked = new bool[users];
        var changed = new List<int>();
        var recorder = new GuidanceMetricsRecorder(users, targetItemId, _options.Metrics);
        recorder.RecordGroundTruth(sim, targetItemId);

        for (var round = 0; round < _options.Rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var context = new PolicyContext(_encoder, target, windows, embeddings, mask, k, round) { FirstUser = firstUser };
            policy.Recommend(context, slates, cancellationToken);
            for (var u = 0; u < users; u++)
            {
                var id = slates[u * k];
                if (id < 0 || id > ItemCount)
                {
                    throw new InvalidOperationException($"Policy {policy.Name} recommended id {id} to user {firstUser + u}; ids are 1..{ItemCount} (0 = none).");
                }

                shown[u] = id; // 0 (nothing): the user is shown nothing.
            }

            sim.Step(shown, clicked);

            changed.Clear();
            for (var u = 0; u < users; u++)
            {
                var id = shown[u];
                if (id == 0)
                {
                    continue;
                }

                mask.Add(u, id);
                if (clicked[u])
                {
                    sequences[u].Add(id);
                    changed.Add(u);
                }
            }

            if (recorder.RoundsRecorded < _options.Metrics.MaxRounds)
            {
                recorder.RecordRound(shown, clicked);
                if (recorder.NeedsGroundTruth)
                {
                    recorder.RecordGroundTruth(sim, targetItemId);
                }
            }

            // Re-encode only the users whose sequence changed (not needed after the last round, nor for
            // policies that ignore the encodings; their windows still follow the clicks).
            if (changed.Count > 0 && round + 1 < _options.Rounds && !policy.UsesUserEmbeddings)
            {
                foreach (var u in changed)
                {
                    windows[u] = Window(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sequences[u]).ToArray(), maxLength);
                }
            }
            else if (changed.Count > 0 && round + 1 < _options.Rounds)
            {
                var batch = new ReadOnlyMemory<int>[changed.Count];
                for (var c = 0; c < changed.Count; c++)
                {
                    var u = changed[c];
                    var seq = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sequences[u]).ToArray();
                    windows[u] = Window(seq, maxLength);
                    batch[c] = windows[u];
                }

                var encoded = new float[changed.Count * d];
                _encoder.EncodeBatch(batch, encoded, cancellationToken);
                for (var c = 0; c < changed.Count; c++)
                {
                    encoded.AsSpan(c * d, d).CopyTo(embeddings.AsSpan(changed[c] * d, d));
                }
            }

            progress?.Report(new GuidanceProgress(targetIndex, targetCount, targetItemId, round + 1, _options.Rounds));
        }

        return (recorder.GetResult(), recorder.GetSums());
    }

    private static ReadOnlyMemory<int> Window(int[] sequence, int maxLength) =>
        sequence.Length > maxLength ? sequence.AsMemory(sequence.Length - maxLength) : sequence.AsMemory();

    /// <summary>The round-0 encodings of users <paramref name="first"/> .. + <paramref name="count"/> − 1 (computed once per range).</summary>
    private float[] EncodeInitial(int first, int count)
    {
        var maxLength = Math.Max(1, _encoder.MaxHistoryLength);
        var windows = new ReadOnlyMemory<int>[count];
        for (var u = 0; u < windows.Length; u++)
        {
            windows[u] = Window(_initial[first + u], maxLength);
        }

        var result = new float[windows.Length * _encoder.Dimension];
        _encoder.EncodeBatch(windows, result);
        return result;
    }
}
