namespace Ipg.Simulation;

/// <summary>Taking a subset of the users of a state (for experiments at a reduced scale).</summary>
public sealed partial class TopicSimulator
{
    /// <summary>
    /// A deep copy that keeps only the first <paramref name="userCount"/> users (their embeddings, biases and
    /// boredom state) and every item. Used to run the guidance phase on part of a paper-scale world, whose
    /// model was trained on the whole log.
    /// </summary>
    /// <param name="userCount">Users to keep, 1..<see cref="UserCount"/>.</param>
    /// <returns>An independent simulator with <c>Options.Users = userCount</c>. Its click draws are not those the
    /// same users would get in the full world (the streams depend on the population size).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userCount"/> is out of range.</exception>
    public TopicSimulator TakeUsers(int userCount)
    {
        if (userCount < 1 || userCount > _users)
        {
            throw new ArgumentOutOfRangeException(nameof(userCount), userCount, $"Keep between 1 and {_users} users.");
        }

        if (userCount == _users)
        {
            return Clone();
        }

        var copy = new TopicSimulator(_options with { Users = userCount }, generate: false, _dim, _topicDirections);
        _userEmb.AsSpan(0, userCount * _dim).CopyTo(copy._userEmb);
        _itemEmb.CopyTo(copy._itemEmb, 0);
        _itemTopic.CopyTo(copy._itemTopic, 0);
        for (var u = 0; u < userCount; u++)
        {
            if (_bias[u] is { } b)
            {
                copy._bias[u] = new Dictionary<int, double>(b);
            }
        }

        int window = _options.BoredomWindow;
        _window.AsSpan(0, userCount * window).CopyTo(copy._window);
        _windowStart.AsSpan(0, userCount).CopyTo(copy._windowStart);
        _windowCount.AsSpan(0, userCount).CopyTo(copy._windowCount);
        _bored.AsSpan(0, userCount * _topics).CopyTo(copy._bored);
        _boredTimeout.AsSpan(0, userCount * _topics).CopyTo(copy._boredTimeout);
        copy._round = _round;
        copy._clickStream = _clickStream;
        return copy;
    }
}
