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

        return userCount == _users ? Clone() : TakeUserRange(0, userCount);
    }

    /// <summary>
    /// A deep copy of users <paramref name="firstUser"/> .. <paramref name="firstUser"/> + <paramref name="userCount"/> − 1
    /// and every item, whose rounds continue <b>exactly</b> as those users' would in this simulator: every round
    /// skips the click draws of the users before the range, so user u of the copy clicks when user
    /// <paramref name="firstUser"/> + u would here (a run split over user ranges, docs/distributed.md). In memory
    /// only: <see cref="Save(string)"/> refuses a range that does not start at user 0.
    /// </summary>
    internal TopicSimulator TakeUserRange(int firstUser, int userCount)
    {
        if (firstUser < 0 || firstUser >= _users)
        {
            throw new ArgumentOutOfRangeException(nameof(firstUser), firstUser, $"The first user must be in 0..{_users - 1}.");
        }

        if (userCount < 1 || userCount > _users - firstUser)
        {
            throw new ArgumentOutOfRangeException(nameof(userCount), userCount, $"Keep between 1 and {_users - firstUser} users from user {firstUser}.");
        }

        var copy = new TopicSimulator(_options with { Users = userCount }, generate: false, _dim, _topicDirections);
        _userEmb.AsSpan(firstUser * _dim, userCount * _dim).CopyTo(copy._userEmb);
        _itemEmb.CopyTo(copy._itemEmb, 0);
        _itemTopic.CopyTo(copy._itemTopic, 0);
        for (var u = 0; u < userCount; u++)
        {
            if (_bias[firstUser + u] is { } b)
            {
                copy._bias[u] = new Dictionary<int, double>(b);
            }
        }

        int window = _options.BoredomWindow;
        _window.AsSpan(firstUser * window, userCount * window).CopyTo(copy._window);
        _windowStart.AsSpan(firstUser, userCount).CopyTo(copy._windowStart);
        _windowCount.AsSpan(firstUser, userCount).CopyTo(copy._windowCount);
        _bored.AsSpan(firstUser * _topics, userCount * _topics).CopyTo(copy._bored);
        _boredTimeout.AsSpan(firstUser * _topics, userCount * _topics).CopyTo(copy._boredTimeout);
        copy._round = _round;
        copy._clickStream = _clickStream;
        copy._drawOffset = _drawOffset + firstUser;
        return copy;
    }
}
