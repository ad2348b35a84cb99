using System.Buffers;

namespace Ipg.Simulation;

/// <summary>
/// The interactive topic simulator of the IPG paper's evaluation protocol (spec §3, derived from
/// the topic simulator of Deffayet et al., WSDM 2023): users and items live in a
/// <see cref="SimulatorOptions.Topics"/> × <see cref="SimulatorOptions.DimensionsPerTopic"/>
/// embedding space; a user clicks a recommended item with a sigmoid probability of their affinity,
/// drifts towards clicked items, is penalised for repeats and gets bored of over-clicked topics.
/// </summary>
/// <remarks>
/// <para>Determinism: every quantity that decides a click or the state is computed in scalar
/// double precision in a fixed order (no SIMD, no FMA, no platform libm: see
/// <see cref="DeterministicMath"/>), and random numbers come from MathNet generators derived from
/// (seed, purpose, stream, round), so a seed reproduces the same state bit for bit on every x64
/// machine, independent of threading.</para>
/// <para>Not thread-safe for mutation; the read-only queries may run concurrently with each other.</para>
/// </remarks>
public sealed partial class TopicSimulator
{
    private readonly SimulatorOptions _options;
    private readonly int _users;
    private readonly int _items;
    private readonly int _dim;
    private readonly int _topics;
    private readonly int _perTopic;
    private readonly double[] _userEmb;
    private readonly double[] _itemEmb;
    private readonly int[] _itemTopic;

    /// <summary>
    /// Explicit ground truth only (a real-data world): a unit direction per topic (topics × dim), along which soft
    /// boredom damps the user; null in the paper's world, where a topic owns a block of dimensions.
    /// </summary>
    private readonly double[]? _topicDirections;
    private readonly Dictionary<int, double>?[] _bias;
    private readonly int[] _window;
    private readonly int[] _windowStart;
    private readonly int[] _windowCount;
    private readonly bool[] _bored;
    private readonly int[] _boredTimeout;
    private long _round;
    private long _clickStream;

    /// <summary>Click draws skipped every round before user 0's: nonzero for a user range (<see cref="TakeUserRange"/>).</summary>
    private long _drawOffset;
    private double[]? _itemEmbTransposed;

    /// <summary>Creates a simulator and draws its user and item embeddings (spec §3).</summary>
    /// <param name="options">The parameters; validated.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A parameter is invalid (its name is the <c>ParamName</c>).</exception>
    public TopicSimulator(SimulatorOptions options)
        : this(Validated(options), generate: true)
    {
    }

    private TopicSimulator(SimulatorOptions options, bool generate, int dimension = 0, double[]? topicDirections = null)
    {
        _options = options;
        _users = options.Users;
        _items = options.Items;
        _topics = options.Topics;
        _perTopic = options.DimensionsPerTopic;
        _dim = dimension > 0 ? dimension : options.Dimension;
        _topicDirections = topicDirections;
        _userEmb = new double[_users * _dim];
        _itemEmb = new double[_items * _dim];
        _itemTopic = new int[_items];
        _bias = new Dictionary<int, double>?[_users];
        _window = new int[_users * options.BoredomWindow];
        _windowStart = new int[_users];
        _windowCount = new int[_users];
        _bored = new bool[_users * _topics];
        _boredTimeout = new int[_users * _topics];
        Array.Fill(_boredTimeout, options.BoredomDuration);
        if (generate)
        {
            GenerateEmbeddings();
        }
    }

    /// <summary>The parameters this simulator was built with.</summary>
    public SimulatorOptions Options => _options;

    /// <summary>Number of users.</summary>
    public int UserCount => _users;

    /// <summary>Number of items.</summary>
    public int ItemCount => _items;

    /// <summary>Embedding dimension (topics × dimensions per topic).</summary>
    public int Dimension => _dim;

    /// <summary>Number of rounds simulated so far (also the counter of the click random stream).</summary>
    public long Round => _round;

    /// <summary>
    /// Selects the click random stream (default 0). Rounds of different streams draw independent
    /// click randomness; saved with the state. Lets several experiments that start from the same
    /// saved state use different (or, by default, common) random numbers.
    /// </summary>
    public long ClickStream
    {
        get => _clickStream;
        set => _clickStream = value;
    }

    /// <summary>All true user embeddings, row-major users × <see cref="Dimension"/> (for an oracle).</summary>
    public ReadOnlySpan<double> UserEmbeddings => _userEmb;

    /// <summary>All true item embeddings, row-major items × <see cref="Dimension"/>; row p is item id p + 1 (for an oracle).</summary>
    public ReadOnlySpan<double> ItemEmbeddings => _itemEmb;

    /// <summary>Topic (0-based) of every item (largest-norm topic of its embedding); position p is item id p + 1.</summary>
    public ReadOnlySpan<int> ItemTopics => _itemTopic;

    /// <summary>The current true embedding ê_u of one user.</summary>
    /// <param name="user">Zero-based user index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is out of range.</exception>
    public ReadOnlySpan<double> UserEmbedding(int user)
    {
        CheckUser(user);
        return _userEmb.AsSpan(user * _dim, _dim);
    }

    /// <summary>The true embedding ê_i of one item.</summary>
    /// <param name="itemId">The item id in <c>1..N</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemId"/> is out of range.</exception>
    public ReadOnlySpan<double> ItemEmbedding(int itemId)
    {
        int item = ToIndex(itemId, nameof(itemId));
        return _itemEmb.AsSpan(item * _dim, _dim);
    }

    /// <summary>The topic of an item (largest-norm topic, ties to the lowest index).</summary>
    /// <param name="itemId">The item id in <c>1..N</c>.</param>
    /// <returns>The zero-based topic.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemId"/> is out of range.</exception>
    public int ItemTopic(int itemId) => _itemTopic[ToIndex(itemId, nameof(itemId))];

    /// <summary>The repeat penalty bias[u,i] accumulated so far (0 if never clicked).</summary>
    /// <param name="user">Zero-based user index.</param>
    /// <param name="itemId">The item id in <c>1..N</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public double Bias(int user, int itemId)
    {
        CheckUser(user);
        return BiasUnchecked(user, ToIndex(itemId, nameof(itemId)));
    }

    /// <summary>Whether a topic is currently bored for a user (spec §3, boredom).</summary>
    /// <param name="user">Zero-based user index.</param>
    /// <param name="topic">Zero-based topic index.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public bool IsBored(int user, int topic)
    {
        CheckUser(user);
        if ((uint)topic >= (uint)_topics)
        {
            throw new ArgumentOutOfRangeException(nameof(topic), topic, $"topic must be in [0, {_topics}).");
        }

        return _bored[(user * _topics) + topic];
    }

    /// <summary>
    /// Ground-truth preference pref(u,j) = ê_u·ê_j − bias[u,j] (spec §3), which is also the
    /// click score.
    /// </summary>
    /// <param name="user">Zero-based user index.</param>
    /// <param name="itemId">The item id in <c>1..N</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public double Preference(int user, int itemId)
    {
        CheckUser(user);
        return PreferenceUnchecked(user, ToIndex(itemId, nameof(itemId)));
    }

    /// <summary>Ground-truth preferences of one user for all items, into <paramref name="destination"/> (position p = item id p + 1, the catalogue order of the re-ranker).</summary>
    /// <param name="user">Zero-based user index.</param>
    /// <param name="destination">At least <see cref="ItemCount"/> long.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public void Preferences(int user, Span<double> destination)
    {
        CheckUser(user);
        if (destination.Length < _items)
        {
            throw new ArgumentException($"destination must hold {_items} values, got {destination.Length}.", nameof(destination));
        }

        PreferencesUnchecked(user, destination);
    }

    /// <summary>Click probability 1 / (1 + exp(−(score − offset)·slope)), score = pref(u,i) (spec §3).</summary>
    /// <param name="user">Zero-based user index.</param>
    /// <param name="itemId">The item id in <c>1..N</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public double ClickProbability(int user, int itemId)
    {
        CheckUser(user);
        return ClickProbabilityOfScore(PreferenceUnchecked(user, ToIndex(itemId, nameof(itemId))));
    }

    /// <summary>The click probability of a given score under these options (spec §3).</summary>
    /// <param name="score">ê_u·ê_i − bias[u,i].</param>
    /// <returns>1 / (1 + exp(−(score − offset)·slope)).</returns>
    public double ClickProbabilityOfScore(double score) =>
        DeterministicMath.Sigmoid((score - _options.Offset) * _options.Slope);

    /// <summary>
    /// The user's ground-truth rank of an item among all items: 1 + the number of items with a
    /// strictly higher preference (ties share the better rank).
    /// </summary>
    /// <param name="user">Zero-based user index.</param>
    /// <param name="itemId">The item id in <c>1..N</c>.</param>
    /// <returns>A rank in [1, <see cref="ItemCount"/>].</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public int GroundTruthRank(int user, int itemId)
    {
        CheckUser(user);
        int item = ToIndex(itemId, nameof(itemId));
        var buffer = ArrayPool<double>.Shared.Rent(_items);
        try
        {
            PreferencesUnchecked(user, buffer);
            var p = buffer[item];
            var rank = 1;
            for (var i = 0; i < _items; i++)
            {
                if (buffer[i] > p)
                {
                    rank++;
                }
            }

            return rank;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The oracle's best item for a user: argmax of the true preference over items not excluded
    /// (ties to the lowest item id). Does not touch any random stream.
    /// </summary>
    /// <param name="user">Zero-based user index.</param>
    /// <param name="isExcluded">Item ids (1..N) to skip (e.g. already shown), or null for none.</param>
    /// <returns>The best item's id in <c>1..N</c>, or 0 if every item is excluded.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="user"/> is out of range.</exception>
    public int OracleBestItem(int user, Func<int, bool>? isExcluded = null)
    {
        CheckUser(user);
        var buffer = ArrayPool<double>.Shared.Rent(_items);
        try
        {
            PreferencesUnchecked(user, buffer);
            var best = -1;
            var bestValue = double.NegativeInfinity;
            for (var i = 0; i < _items; i++)
            {
                if ((best < 0 || buffer[i] > bestValue) && (isExcluded is null || !isExcluded(i + 1)))
                {
                    best = i;
                    bestValue = buffer[i];
                }
            }

            return best + 1;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Simulates one round: every user is shown one item, clicks are sampled, and the state is
    /// updated (drift, repeat penalty, boredom; spec §3).
    /// </summary>
    /// <param name="recommendations">
    /// One item id (1..N) per user (length <see cref="UserCount"/>); 0, the padding id, means the user is
    /// shown nothing this round (no click; the user's random number is still drawn, so the others' are unchanged).
    /// </param>
    /// <param name="clicked">Receives whether each user clicked (length ≥ <see cref="UserCount"/>).</param>
    /// <exception cref="ArgumentException">A length is wrong or an item is out of range; the state is unchanged.</exception>
    public void Step(ReadOnlySpan<int> recommendations, Span<bool> clicked)
    {
        ValidateRound(recommendations);
        if (clicked.Length < _users)
        {
            throw new ArgumentException($"clicked must hold {_users} values, got {clicked.Length}.", nameof(clicked));
        }

        var buffer = ArrayPool<int>.Shared.Rent(_users);
        try
        {
            StepIndices(ToIndices(recommendations, buffer), clicked);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    /// <summary>One round on zero-based item indices (−1 = nothing shown): the inside of the id boundary.</summary>
    private void StepIndices(ReadOnlySpan<int> recommendations, Span<bool> clicked)
    {
        // One uniform per user, users in ascending order, from the stream of this round: the
        // draws never depend on the outcomes or on threading.
        var rng = RandomStreams.Create(_options.Seed, RandomStreams.Purpose.Clicks, _clickStream, _round);
        for (long skip = 0; skip < _drawOffset; skip++)
        {
            rng.NextDouble(); // the draws of the users before this range (TakeUserRange)
        }

        for (var u = 0; u < _users; u++)
        {
            var draw = rng.NextDouble();
            var item = recommendations[u];
            clicked[u] = item >= 0 && draw < ClickProbabilityOfScore(PreferenceUnchecked(u, item));
        }

        ApplyRoundUnchecked(recommendations, clicked);
    }

    /// <summary>Simulates one round (see <see cref="Step(ReadOnlySpan{int}, Span{bool})"/>) and returns the clicks.</summary>
    /// <param name="recommendations">One item id per user (0 = nothing shown).</param>
    /// <returns>Whether each user clicked.</returns>
    /// <exception cref="ArgumentException">A length is wrong or an item is out of range; the state is unchanged.</exception>
    public bool[] Step(ReadOnlySpan<int> recommendations)
    {
        var clicked = new bool[_users];
        Step(recommendations, clicked);
        return clicked;
    }

    /// <summary>
    /// Applies one round with given outcomes instead of sampled ones (tests, replays). Advances
    /// the round counter like <see cref="Step(ReadOnlySpan{int}, Span{bool})"/>.
    /// </summary>
    internal void ApplyRound(ReadOnlySpan<int> recommendations, ReadOnlySpan<bool> clicked)
    {
        ValidateRound(recommendations);
        if (clicked.Length != _users)
        {
            throw new ArgumentException($"clicked must hold {_users} values, got {clicked.Length}.", nameof(clicked));
        }

        for (var u = 0; u < _users; u++)
        {
            if (clicked[u] && recommendations[u] == 0)
            {
                throw new ArgumentException($"User {u} clicked without being shown an item.", nameof(clicked));
            }
        }

        ApplyRoundUnchecked(ToIndices(recommendations, new int[_users]), clicked);
    }

    /// <summary>A deep copy of the whole state (options, embeddings, bias, boredom, counters).</summary>
    /// <returns>An independent simulator that continues exactly like this one.</returns>
    public TopicSimulator Clone()
    {
        var copy = new TopicSimulator(_options, generate: false, _dim, _topicDirections);
        _userEmb.CopyTo(copy._userEmb, 0);
        _itemEmb.CopyTo(copy._itemEmb, 0);
        _itemTopic.CopyTo(copy._itemTopic, 0);
        for (var u = 0; u < _users; u++)
        {
            if (_bias[u] is { } b)
            {
                copy._bias[u] = new Dictionary<int, double>(b);
            }
        }

        _window.CopyTo(copy._window, 0);
        _windowStart.CopyTo(copy._windowStart, 0);
        _windowCount.CopyTo(copy._windowCount, 0);
        _bored.CopyTo(copy._bored, 0);
        _boredTimeout.CopyTo(copy._boredTimeout, 0);
        copy._round = _round;
        copy._clickStream = _clickStream;
        copy._drawOffset = _drawOffset;
        return copy;
    }

    /// <summary>Test hook: overwrites a user's embedding (no normalisation).</summary>
    internal void SetUserEmbedding(int user, ReadOnlySpan<double> embedding) =>
        embedding.CopyTo(_userEmb.AsSpan(user * _dim, _dim));

    /// <summary>Test hook: overwrites an item's embedding (no normalisation) and recomputes its topic.</summary>
    internal void SetItemEmbedding(int item, ReadOnlySpan<double> embedding)
    {
        embedding.CopyTo(_itemEmb.AsSpan(item * _dim, _dim));
        _itemTopic[item] = DominantTopic(embedding);
        _itemEmbTransposed = null;
    }

    /// <summary>Oracle argmax over items whose bit is clear in a per-user bit set (log collection).</summary>
    internal int OracleBestUnseen(int user, ReadOnlySpan<ulong> shownBits, Span<double> buffer)
    {
        PreferencesUnchecked(user, buffer);
        var best = -1;
        var bestValue = double.NegativeInfinity;
        for (var i = 0; i < _items; i++)
        {
            if ((shownBits[i >> 6] & (1UL << (i & 63))) == 0 && (best < 0 || buffer[i] > bestValue))
            {
                best = i;
                bestValue = buffer[i];
            }
        }

        return best;
    }

    private static SimulatorOptions Validated(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    private void ValidateRound(ReadOnlySpan<int> recommendations)
    {
        if (recommendations.Length != _users)
        {
            throw new ArgumentException($"recommendations must hold one item per user ({_users}), got {recommendations.Length}.", nameof(recommendations));
        }

        for (var u = 0; u < _users; u++)
        {
            if ((uint)recommendations[u] > (uint)_items)
            {
                throw new ArgumentException($"recommendations[{u}] = {recommendations[u]} is not an item id in 1..{_items} (0 = nothing shown).", nameof(recommendations));
            }
        }
    }

    private void CheckUser(int user)
    {
        if ((uint)user >= (uint)_users)
        {
            throw new ArgumentOutOfRangeException(nameof(user), user, $"user must be in [0, {_users}).");
        }
    }

    /// <summary>The id boundary: item id 1..N (the encoder's convention) → the zero-based index of the internal arrays.</summary>
    private int ToIndex(int itemId, string name)
    {
        if ((uint)(itemId - 1) >= (uint)_items)
        {
            throw new ArgumentOutOfRangeException(name, itemId, $"{name} must be an item id in 1..{_items} (0 is padding).");
        }

        return itemId - 1;
    }

    /// <summary>Validated ids (0 = nothing) → zero-based indices (−1 = nothing).</summary>
    private static ReadOnlySpan<int> ToIndices(ReadOnlySpan<int> ids, int[] buffer)
    {
        for (int u = 0; u < ids.Length; u++)
        {
            buffer[u] = ids[u] - 1;
        }

        return buffer.AsSpan(0, ids.Length);
    }

    private double BiasUnchecked(int user, int item) =>
        _bias[user] is { } b && b.TryGetValue(item, out var v) ? v : 0.0;

    private double PreferenceUnchecked(int user, int item) =>
        DeterministicMath.Dot(_userEmb.AsSpan(user * _dim, _dim), _itemEmb.AsSpan(item * _dim, _dim)) - BiasUnchecked(user, item);

    private void PreferencesUnchecked(int user, Span<double> destination)
    {
        PreferenceKernel.DotAll(_userEmb.AsSpan(user * _dim, _dim), ItemsTransposed(), _items, destination);

        if (_bias[user] is { } b)
        {
            foreach (var (item, value) in b)
            {
                destination[item] -= value;
            }
        }
    }

    /// <summary>Item embeddings dimension-major (derived cache, rebuilt lazily; not part of the state).</summary>
    private double[] ItemsTransposed()
    {
        var t = Volatile.Read(ref _itemEmbTransposed);
        if (t is null)
        {
            t = new double[_itemEmb.Length];
            for (var i = 0; i < _items; i++)
            {
                for (var d = 0; d < _dim; d++)
                {
                    t[(d * _items) + i] = _itemEmb[(i * _dim) + d];
                }
            }

            Volatile.Write(ref _itemEmbTransposed, t);
        }

        return t;
    }

    /// <summary>spec §3: generation of user and item embeddings.</summary>
    private void GenerateEmbeddings()
    {
        var weights = new double[_topics];

        // Users: per user, Topics×DimensionsPerTopic normals then Topics uniforms, users in order.
        var userNormal = new GaussianSampler(RandomStreams.Create(_options.Seed, RandomStreams.Purpose.UserEmbeddings, 0, 0));
        var userRng = RandomStreams.Create(_options.Seed, RandomStreams.Purpose.UserEmbeddings, 0, 1);
        for (var u = 0; u < _users; u++)
        {
            var e = _userEmb.AsSpan(u * _dim, _dim);
            DrawMixture(e, weights, userNormal, userRng);
            var dominant = DominantTopic(e);
            for (var k = 0; k < _perTopic; k++)
            {
                var d = (dominant * _perTopic) + k;
                e[d] = Math.Abs(e[d]);
            }

            Normalise(e);
        }

        var itemNormal = new GaussianSampler(RandomStreams.Create(_options.Seed, RandomStreams.Purpose.ItemEmbeddings, 0, 0));
        var itemRng = RandomStreams.Create(_options.Seed, RandomStreams.Purpose.ItemEmbeddings, 0, 1);
        for (var i = 0; i < _items; i++)
        {
            var e = _itemEmb.AsSpan(i * _dim, _dim);
            DrawMixture(e, weights, itemNormal, itemRng);
            for (var d = 0; d < _dim; d++)
            {
                e[d] *= e[d]; // squared element-wise: non-negative (spec §3)
            }

            _itemTopic[i] = DominantTopic(e);
            Normalise(e);
        }
    }

    private void DrawMixture(Span<double> e, double[] weights, GaussianSampler normal, MathNet.Numerics.Random.Xoshiro256StarStar rng)
    {
        for (var d = 0; d < _dim; d++)
        {
            e[d] = Math.Clamp(_options.TopicScale * normal.Next(), -_options.TopicClamp, _options.TopicClamp);
        }

        var sum = 0.0;
        for (var t = 0; t < _topics; t++)
        {
            weights[t] = rng.NextDouble();
            sum += weights[t];
        }

        for (var t = 0; t < _topics; t++)
        {
            var w = sum > 0 ? weights[t] / sum : 1.0 / _topics;
            for (var k = 0; k < _perTopic; k++)
            {
                e[(t * _perTopic) + k] *= w;
            }
        }
    }

    /// <summary>Largest-norm topic (squared norms compared; ties to the lowest topic).</summary>
    internal int DominantTopic(ReadOnlySpan<double> e)
    {
        var best = 0;
        var bestNorm = -1.0;
        for (var t = 0; t < _topics; t++)
        {
            var n = DeterministicMath.Dot(e.Slice(t * _perTopic, _perTopic), e.Slice(t * _perTopic, _perTopic));
            if (n > bestNorm)
            {
                best = t;
                bestNorm = n;
            }
        }

        return best;
    }

    private static void Normalise(Span<double> e)
    {
        var n = DeterministicMath.Norm(e);
        if (n > 0)
        {
            for (var d = 0; d < e.Length; d++)
            {
                e[d] /= n;
            }
        }
    }

    /// <summary>spec §3: state update of one round, users in ascending order.</summary>
    private void ApplyRoundUnchecked(ReadOnlySpan<int> recommendations, ReadOnlySpan<bool> clicked)
    {
        var duration = _options.BoredomDuration;

        // Boredom timers first (as in the reference simulator): a bored topic counts down one
        // round, resets when it reaches 0; a topic that is not bored holds a full timer.
        for (var k = 0; k < _bored.Length; k++)
        {
            if (_bored[k])
            {
                if (--_boredTimeout[k] == 0)
                {
                    _bored[k] = false;
                    _boredTimeout[k] = duration;
                }
            }
            else
            {
                _boredTimeout[k] = duration;
            }
        }

        var omega = _options.Omega;
        var windowSize = _options.BoredomWindow;
        var threshold = _options.BoredomThreshold;
        Span<int> counts = stackalloc int[_topics];
        for (var u = 0; u < _users; u++)
        {
            var eu = _userEmb.AsSpan(u * _dim, _dim);
            var item = recommendations[u];
            var click = clicked[u] && item >= 0;
            if (click)
            {
                // Remember the clicked item's topic (ring buffer of the last BoredomWindow clicks).
                var topic = _itemTopic[item];
                var w = _window.AsSpan(u * windowSize, windowSize);
                if (_windowCount[u] < windowSize)
                {
                    w[(_windowStart[u] + _windowCount[u]) % windowSize] = topic;
                    _windowCount[u]++;
                }
                else
                {
                    w[_windowStart[u]] = topic;
                    _windowStart[u] = (_windowStart[u] + 1) % windowSize;
                }

                // Drift towards the clicked item, then renormalise.
                var ei = _itemEmb.AsSpan(item * _dim, _dim);
                for (var d = 0; d < _dim; d++)
                {
                    eu[d] = (omega * eu[d]) + ((1 - omega) * ei[d]);
                }

                Normalise(eu);

                // Repeat penalty.
                var b = _bias[u] ??= [];
                b[item] = (b.TryGetValue(item, out var old) ? old : 0.0) + _options.RepeatPenalty;
            }

            // Boredom: every round, every topic shared by ≥ threshold of the remembered clicks
            // becomes bored (a running timer is not restarted).
            if (_windowCount[u] >= threshold)
            {
                counts.Clear();
                var w = _window.AsSpan(u * windowSize, windowSize);
                for (var k = 0; k < _windowCount[u]; k++)
                {
                    counts[w[(_windowStart[u] + k) % windowSize]]++;
                }

                for (var t = 0; t < _topics; t++)
                {
                    if (counts[t] >= threshold)
                    {
                        _bored[(u * _topics) + t] = true;
                    }
                }
            }

            // Soft boredom: clicking an item of a bored topic shrinks that topic's dimensions (the paper), or the
            // user's component along the topic's direction (explicit ground truth: ê_u − (1 − f)·(ê_u·t)·t).
            if (click && _bored[(u * _topics) + _itemTopic[item]])
            {
                if (_topicDirections is null)
                {
                    var t0 = _itemTopic[item] * _perTopic;
                    for (var k = 0; k < _perTopic; k++)
                    {
                        eu[t0 + k] *= _options.BoredomFactor;
                    }
                }
                else
                {
                    var direction = _topicDirections.AsSpan(_itemTopic[item] * _dim, _dim);
                    var shrink = (1 - _options.BoredomFactor) * DeterministicMath.Dot(eu, direction);
                    for (var d = 0; d < _dim; d++)
                    {
                        eu[d] -= shrink * direction[d];
                    }
                }

                Normalise(eu);
            }
        }

        _round++;
    }
}
