namespace Ipg.Simulation.Metrics;

/// <summary>
/// Records one guidance run (one target) round by round and computes HR@K, IoI@K and IoR@K with
/// the spec's definitions (§3 "Metrics"; docs/metrics.md), so the guidance loop stays simple:
/// <code>
/// recorder.RecordGroundTruth(sim, target);            // before round 1
/// while (recorder.RoundsRecorded &lt; recorder.Options.MaxRounds)
/// {
///     ... recommend, sim.Step(...) ...
///     recorder.RecordRound(recommended, clicked);
///     if (recorder.NeedsGroundTruth) recorder.RecordGroundTruth(sim, target);   // at K = 5, 10, ...
/// }
/// var metrics = recorder.GetResult();
/// </code>
/// </summary>
public sealed class GuidanceMetricsRecorder
{
    private readonly int _users;
    private readonly MetricsOptions _options;
    private readonly int _targetItem;
    private readonly double[] _baselinePreference;
    private readonly int[] _baselineRank;
    private readonly int[] _shown;
    private readonly int[] _clicks;
    private readonly List<CheckpointMetrics> _results = [];
    private readonly List<CheckpointSums> _sums = [];
    private bool _hasBaseline;
    private int _rounds;

    /// <summary>Creates a recorder for one target.</summary>
    /// <param name="userCount">Number of users (≥ 1).</param>
    /// <param name="targetItem">The target's item id, stored in the result.</param>
    /// <param name="options">What to measure; validated.</param>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    public GuidanceMetricsRecorder(int userCount, int targetItem, MetricsOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(userCount, 1);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _users = userCount;
        _targetItem = targetItem;
        _options = options;
        _baselinePreference = new double[userCount];
        _baselineRank = new int[userCount];
        _shown = new int[userCount];
        _clicks = new int[userCount];
    }

    /// <summary>The options.</summary>
    public MetricsOptions Options => _options;

    /// <summary>Rounds recorded so far.</summary>
    public int RoundsRecorded => _rounds;

    /// <summary>
    /// Whether the next call must be <see cref="RecordGroundTruth(ReadOnlySpan{double}, ReadOnlySpan{int})"/>:
    /// before round 1, and after every checkpoint round until its ground truth is recorded.
    /// </summary>
    public bool NeedsGroundTruth => !_hasBaseline || (IsCheckpoint(_rounds) && (_results.Count == 0 || _results[^1].Rounds != _rounds));

    /// <summary>
    /// Records the simulator's ground truth for the target: pref(u, j) and the rank of j among all
    /// items for every user — before round 1 (the baseline), and after each checkpoint round.
    /// </summary>
    /// <param name="targetPreferences">pref(u, j) per user.</param>
    /// <param name="targetRanks">Ground-truth rank of j per user (1 = best).</param>
    /// <exception cref="ArgumentException">A length is wrong or a rank is below 1.</exception>
    /// <exception cref="InvalidOperationException">Ground truth is not expected now (see <see cref="NeedsGroundTruth"/>).</exception>
    public void RecordGroundTruth(ReadOnlySpan<double> targetPreferences, ReadOnlySpan<int> targetRanks)
    {
        if (targetPreferences.Length != _users)
        {
            throw new ArgumentException($"targetPreferences must hold {_users} values, got {targetPreferences.Length}.", nameof(targetPreferences));
        }

        if (targetRanks.Length != _users)
        {
            throw new ArgumentException($"targetRanks must hold {_users} values, got {targetRanks.Length}.", nameof(targetRanks));
        }

        foreach (var r in targetRanks)
        {
            if (r < 1)
            {
                throw new ArgumentException($"targetRanks must be ≥ 1, got {r}.", nameof(targetRanks));
            }
        }

        if (!NeedsGroundTruth)
        {
            throw new InvalidOperationException($"Ground truth is expected before round 1 and after checkpoint rounds only; {_rounds} rounds are recorded.");
        }

        if (!_hasBaseline)
        {
            targetPreferences.CopyTo(_baselinePreference);
            for (var u = 0; u < _users; u++)
            {
                _baselineRank[u] = CapRank(targetRanks[u]);
            }

            _hasBaseline = true;
            return;
        }

        // spec §3: averaged over users. HR: per-user click fraction over rounds 1..K (users who
        // were never shown anything are left out); IoI, IoR: after K − before round 1.
        // The sums are order-independent (ExactSum), so user ranges run apart add up to exactly this.
        ExactSum hr = default, ioi = default, ior = default;
        var hrUsers = 0;
        for (var u = 0; u < _users; u++)
        {
            if (_shown[u] > 0)
            {
                hr = hr.Add((double)_clicks[u] / _shown[u]);
                hrUsers++;
            }

            ioi = ioi.Add(targetPreferences[u] - _baselinePreference[u]);
            ior = ior.Add(_baselineRank[u] - CapRank(targetRanks[u]));
        }

        var sums = new CheckpointSums(_rounds, _users, hrUsers, hr, ioi, ior);
        _sums.Add(sums);
        _results.Add(sums.ToMetrics());
    }

    /// <summary>Records the ground truth straight from the simulator (ranks computed in parallel over users; read-only).</summary>
    /// <param name="simulator">The simulator, in the state to record.</param>
    /// <param name="targetItem">The target's item id in <c>1..N</c>.</param>
    /// <exception cref="ArgumentException">The simulator's user count differs, or the item is out of range.</exception>
    /// <exception cref="InvalidOperationException">Ground truth is not expected now.</exception>
    public void RecordGroundTruth(TopicSimulator simulator, int targetItem)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        if (simulator.UserCount != _users)
        {
            throw new ArgumentException($"simulator has {simulator.UserCount} users, the recorder {_users}.", nameof(simulator));
        }

        if ((uint)(targetItem - 1) >= (uint)simulator.ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(targetItem), targetItem, $"targetItem must be an item id in 1..{simulator.ItemCount}.");
        }

        if (!NeedsGroundTruth)
        {
            throw new InvalidOperationException($"Ground truth is expected before round 1 and after checkpoint rounds only; {_rounds} rounds are recorded.");
        }

        var prefs = new double[_users];
        var ranks = new int[_users];
        Parallel.For(0, _users, u =>
        {
            prefs[u] = simulator.Preference(u, targetItem);
            ranks[u] = simulator.GroundTruthRank(u, targetItem);
        });
        RecordGroundTruth(prefs, ranks);
    }

    /// <summary>Records one round: the item recommended to each user and whether it was clicked.</summary>
    /// <param name="recommended">Per user the recommended item id (1..N), or 0, the padding id, when the user got none.</param>
    /// <param name="clicked">Per user whether the recommendation was clicked.</param>
    /// <exception cref="ArgumentException">A length is wrong, or a user without a recommendation clicked.</exception>
    /// <exception cref="InvalidOperationException">Ground truth is due first, or every checkpoint is already recorded.</exception>
    public void RecordRound(ReadOnlySpan<int> recommended, ReadOnlySpan<bool> clicked)
    {
        if (recommended.Length != _users)
        {
            throw new ArgumentException($"recommended must hold {_users} values, got {recommended.Length}.", nameof(recommended));
        }

        if (clicked.Length != _users)
        {
            throw new ArgumentException($"clicked must hold {_users} values, got {clicked.Length}.", nameof(clicked));
        }

        if (NeedsGroundTruth)
        {
            throw new InvalidOperationException(_hasBaseline
                ? $"Record the ground truth of checkpoint K = {_rounds} before the next round."
                : "Record the ground truth before round 1 first.");
        }

        if (_rounds >= _options.MaxRounds)
        {
            throw new InvalidOperationException($"All checkpoints up to K = {_options.MaxRounds} are recorded.");
        }

        for (var u = 0; u < _users; u++)
        {
            if (recommended[u] < 1 && clicked[u])
            {
                throw new ArgumentException($"User {u} clicked without a recommendation.", nameof(clicked));
            }
        }

        for (var u = 0; u < _users; u++)
        {
            if (recommended[u] >= 1)
            {
                _shown[u]++;
                if (clicked[u])
                {
                    _clicks[u]++;
                }
            }
        }

        _rounds++;
    }

    /// <summary>The metrics at every checkpoint recorded so far.</summary>
    /// <returns>The per-target metrics.</returns>
    public TargetMetrics GetResult() => new(_targetItem, _results.ToArray());

    /// <summary>The sums behind every checkpoint recorded so far (a user range's share of a split run).</summary>
    internal IReadOnlyList<CheckpointSums> GetSums() => _sums.ToArray();

    private bool IsCheckpoint(int rounds)
    {
        foreach (var k in _options.Checkpoints)
        {
            if (k == rounds)
            {
                return true;
            }
        }

        return false;
    }

    private int CapRank(int rank) => _options.RankCap is { } cap && rank > cap ? cap + 1 : rank;
}
