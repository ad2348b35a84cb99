namespace Ipg.Encoders;

/// <summary>
/// A next-item model conditioned on a target item and a user (IRN, Zhu et al., ICDE 2023, is one): from a
/// history, a target and a user id it scores every catalogue item as the next item. Planners such as the
/// IRN policy call it to build influence paths. Implementations must be safe for concurrent calls.
/// </summary>
/// <remarks>
/// Ids: items <c>1..N</c> (0 = padding), users <c>1..U</c> with 0 = a user the model does not know (the model
/// decides what that means; <c>OnnxIrnModel</c> in the Ipg.Onnx package uses the mean personal factor). Histories are given
/// oldest first; one longer than <see cref="MaxHistoryLength"/> keeps its most recent items.
/// </remarks>
public interface ITargetConditionedScorer
{
    /// <summary>N, the number of items (ids <c>1..N</c>).</summary>
    int ItemCount { get; }

    /// <summary>U, the number of known users (ids <c>1..U</c>; 0 = unknown).</summary>
    int UserCount { get; }

    /// <summary>L, the history length the model reads.</summary>
    int MaxHistoryLength { get; }

    /// <summary>Scores the next item for each (history, target, user) row.</summary>
    /// <param name="histories">One history per row, oldest first; ids <c>1..N</c>.</param>
    /// <param name="targetIds">One target per row, <c>1..N</c>.</param>
    /// <param name="userIds">One user per row, <c>0..U</c>.</param>
    /// <param name="scores">Receives rows × N scores, row-major; entry <c>c</c> of a row is item <c>c + 1</c>. Higher = more likely next.</param>
    /// <param name="cancellationToken">Cancels between chunks of rows.</param>
    /// <exception cref="ArgumentNullException"><paramref name="histories"/> is null.</exception>
    /// <exception cref="ArgumentException">Lengths disagree or <paramref name="scores"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An item, target or user id is out of range.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    void ScoreBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, ReadOnlySpan<int> targetIds, ReadOnlySpan<int> userIds, Span<float> scores, CancellationToken cancellationToken = default);
}
