using System.Buffers;

namespace Ipg.Simulation;

/// <content>One-step look-ahead on the true state, for oracles.</content>
public sealed partial class TopicSimulator
{
    /// <summary>
    /// For every item i: how much pref(u, j) would change if <paramref name="user"/> were shown i in
    /// the next round and clicked it — drift, re-normalisation, soft boredom (with the next round's
    /// timer tick and window update) and the repeat penalty, exactly as in spec §3 — i.e.
    /// pref(u, j | click on i) − pref(u, j). Read-only; touches no random stream.
    /// </summary>
    /// <param name="user">Zero-based user index.</param>
    /// <param name="targetItemId">The target item j, an id in <c>1..N</c>.</param>
    /// <param name="destination">At least <see cref="ItemCount"/> long; receives the gains, position p = item id p + 1.</param>
    /// <remarks>
    /// Closed form of the update (so one user costs two passes over the items): with v = ω·ê_u + (1 − ω)·ê_i,
    /// pref' = v·ê_j / ‖v‖, or, when i's topic τ is bored after the click, with D scaling τ's
    /// dimensions by the boredom factor, pref' = (v·ê_j − (1 − f)·v_τ·ê_{j,τ}) / √(‖v‖² − (1 − f²)‖v_τ‖²);
    /// minus bias[u, j] (+ the penalty when i = j). Equal to cloning the simulator and applying the
    /// click up to rounding (tested).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public void TargetGainsIfClicked(int user, int targetItemId, Span<double> destination)
    {
        CheckUser(user);
        int target = ToIndex(targetItemId, nameof(targetItemId));
        if (destination.Length < _items)
        {
            throw new ArgumentException($"destination must hold {_items} values, got {destination.Length}.", nameof(destination));
        }

        var transposed = ItemsTransposed();
        var eu = _userEmb.AsSpan(user * _dim, _dim);
        var ej = _itemEmb.AsSpan(target * _dim, _dim);
        var omega = _options.Omega;
        var f = _options.BoredomFactor;
        var biasJ = BiasUnchecked(user, target);
        var before = DeterministicMath.Dot(eu, ej) - biasJ;
        var a = DeterministicMath.Dot(eu, ej);
        var euNorm2 = DeterministicMath.Dot(eu, eu);

        // Which topics would be bored after a click on an item of that topic in the next round.
        Span<bool> boredAfter = stackalloc bool[_topics];
        Span<int> counts = stackalloc int[_topics];
        var window = _options.BoredomWindow;
        var w = _window.AsSpan(user * window, window);
        for (var k = 0; k < _windowCount[user]; k++)
        {
            counts[w[(_windowStart[user] + k) % window]]++;
        }

        var evicted = _windowCount[user] == window ? w[_windowStart[user]] : -1;
        for (var t = 0; t < _topics; t++)
        {
            var idx = (user * _topics) + t;
            var stillBored = _bored[idx] && _boredTimeout[idx] > 1;
            var countAfter = counts[t] + 1 - (evicted == t ? 1 : 0);
            boredAfter[t] = stillBored || countAfter >= _options.BoredomThreshold;
        }

        var pool = ArrayPool<double>.Shared;
        var dotsU = pool.Rent(_items);
        var dotsJ = pool.Rent(_items);

        // Explicit ground truth: ê_u·t and t·ê_j per topic direction t, once per call rather than per item.
        var topicDots = _topicDirections is null ? null : pool.Rent(2 * _topics);
        try
        {
            PreferenceKernel.DotAll(eu, transposed, _items, dotsU);
            PreferenceKernel.DotAll(ej, transposed, _items, dotsJ);
            if (topicDots is not null)
            {
                for (var t = 0; t < _topics; t++)
                {
                    var direction = _topicDirections.AsSpan(t * _dim, _dim);
                    topicDots[t] = DeterministicMath.Dot(eu, direction);
                    topicDots[_topics + t] = DeterministicMath.Dot(direction, ej);
                }
            }

            for (var i = 0; i < _items; i++)
            {
                var xi = _itemEmb.AsSpan(i * _dim, _dim);
                var xiNorm2 = DeterministicMath.Dot(xi, xi);
                var vNorm2 = (omega * omega * euNorm2) + (2 * omega * (1 - omega) * dotsU[i]) + ((1 - omega) * (1 - omega) * xiNorm2);
                var vDotJ = (omega * a) + ((1 - omega) * dotsJ[i]);
                double after;
                var topic = _itemTopic[i];
                if (boredAfter[topic])
                {
                    double vt2 = 0, vtj = 0;
                    if (_topicDirections is null)
                    {
                        var t0 = topic * _perTopic;
                        for (var k = 0; k < _perTopic; k++)
                        {
                            var vk = (omega * eu[t0 + k]) + ((1 - omega) * xi[t0 + k]);
                            vt2 += vk * vk;
                            vtj += vk * ej[t0 + k];
                        }
                    }
                    else
                    {
                        // The component along the topic's direction t: v·t, and its share of v·ê_j, (v·t)(t·ê_j).
                        var vt = (omega * topicDots![topic]) + ((1 - omega) * DeterministicMath.Dot(xi, _topicDirections.AsSpan(topic * _dim, _dim)));
                        vt2 = vt * vt;
                        vtj = vt * topicDots[_topics + topic];
                    }

                    var n2 = vNorm2 - ((1 - (f * f)) * vt2);
                    after = n2 > 0 ? (vDotJ - ((1 - f) * vtj)) / Math.Sqrt(n2) : 0;
                }
                else
                {
                    after = vNorm2 > 0 ? vDotJ / Math.Sqrt(vNorm2) : 0;
                }

                after -= i == target ? biasJ + _options.RepeatPenalty : biasJ;
                destination[i] = after - before;
            }
        }
        finally
        {
            pool.Return(dotsU);
            pool.Return(dotsJ);
            if (topicDots is not null)
            {
                pool.Return(topicDots);
            }
        }
    }
}
