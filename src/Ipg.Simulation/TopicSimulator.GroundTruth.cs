namespace Ipg.Simulation;

/// <content>A simulator over a given ground truth (a real-data world) instead of the paper's generated one.</content>
public sealed partial class TopicSimulator
{
    /// <summary>
    /// Creates a simulator whose true user and item embeddings, item topics and topic directions are given — e.g.
    /// fitted on a real interaction log (a real-data world, docs/real-data.md) — with the paper's dynamics on top (spec §3: click
    /// sigmoid, drift ω, repeat penalty, boredom). Topics need not be blocks of dimensions: soft boredom damps the
    /// user's component along the clicked item's topic direction t, <c>ê_u ← ê_u − (1 − f)·(ê_u·t)·t</c>, then
    /// re-normalises (with orthogonal block directions this is the paper's rule).
    /// </summary>
    /// <param name="options">
    /// The dynamics: <see cref="SimulatorOptions.Users"/>, <see cref="SimulatorOptions.Items"/> and
    /// <see cref="SimulatorOptions.Topics"/> must match the data; click offset and slope, ω, repeat penalty, boredom
    /// window/threshold/duration/factor and the seed (click streams) are used; <see cref="SimulatorOptions.DimensionsPerTopic"/>,
    /// <see cref="SimulatorOptions.TopicScale"/> and <see cref="SimulatorOptions.TopicClamp"/> are not (no embeddings are drawn).
    /// </param>
    /// <param name="dimension">d ≥ 1, the dimension of the vectors.</param>
    /// <param name="userEmbeddings">Users × d finite values, row-major (the paper's world has unit-norm rows).</param>
    /// <param name="itemEmbeddings">Items × d finite values; row p is item id p + 1.</param>
    /// <param name="itemTopics">The zero-based topic of every item (position p = item id p + 1), each below <c>Topics</c>.</param>
    /// <param name="topicDirections">Topics × d finite values: a unit (or zero, for a topic boredom cannot damp) direction per topic.</param>
    /// <returns>The simulator, at round 0 with no bias and no boredom.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A length disagrees with the options, a value is not finite, a topic is out of range, or a direction is neither unit nor zero.</exception>
    public static TopicSimulator FromGroundTruth(SimulatorOptions options, int dimension, ReadOnlySpan<double> userEmbeddings, ReadOnlySpan<double> itemEmbeddings, ReadOnlySpan<int> itemTopics, ReadOnlySpan<double> topicDirections)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        options = options with { DimensionsPerTopic = 1 };
        options.Validate();
        if ((long)options.Users * dimension > int.MaxValue / 2 || (long)options.Items * dimension > int.MaxValue / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Users × d and Items × d must fit in an array.");
        }

        CheckRows(userEmbeddings, options.Users, dimension, nameof(userEmbeddings), "users");
        CheckRows(itemEmbeddings, options.Items, dimension, nameof(itemEmbeddings), "items");
        CheckRows(topicDirections, options.Topics, dimension, nameof(topicDirections), "topics");
        if (itemTopics.Length != options.Items)
        {
            throw new ArgumentException($"Expected one topic per item ({options.Items}), got {itemTopics.Length}.", nameof(itemTopics));
        }

        for (var i = 0; i < itemTopics.Length; i++)
        {
            if ((uint)itemTopics[i] >= (uint)options.Topics)
            {
                throw new ArgumentException($"Item id {i + 1} has topic {itemTopics[i]}; topics are 0..{options.Topics - 1}.", nameof(itemTopics));
            }
        }

        for (var t = 0; t < options.Topics; t++)
        {
            var row = topicDirections.Slice(t * dimension, dimension);
            var norm2 = DeterministicMath.Dot(row, row);
            if (norm2 != 0 && Math.Abs(norm2 - 1) > 1e-9)
            {
                throw new ArgumentException($"Topic {t}'s direction has squared norm {norm2}; it must be a unit vector (or zero).", nameof(topicDirections));
            }
        }

        var sim = new TopicSimulator(options, generate: false, dimension, topicDirections.ToArray());
        userEmbeddings.CopyTo(sim._userEmb);
        itemEmbeddings.CopyTo(sim._itemEmb);
        itemTopics.CopyTo(sim._itemTopic);
        return sim;
    }

    /// <summary>Whether this simulator runs over a given ground truth (<see cref="FromGroundTruth"/>) rather than the paper's generated world.</summary>
    public bool HasExplicitGroundTruth => _topicDirections is not null;

    private static void CheckRows(ReadOnlySpan<double> values, int rows, int dimension, string paramName, string what)
    {
        if (values.Length != (long)rows * dimension)
        {
            throw new ArgumentException($"Expected {rows} {what} × d = {dimension} values, got {values.Length}.", paramName);
        }

        for (var k = 0; k < values.Length; k++)
        {
            if (!double.IsFinite(values[k]))
            {
                throw new ArgumentException($"Row {k / dimension} ({what}), component {k % dimension} is {values[k]}; values must be finite.", paramName);
            }
        }
    }
}
