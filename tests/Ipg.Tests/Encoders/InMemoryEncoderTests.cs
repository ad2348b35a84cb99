using Ipg.Encoders;

namespace Ipg.Tests.Encoders;

public class InMemoryEncoderTests
{
    [Fact]
    public void Mean_of_the_most_recent_items_and_zero_for_an_empty_history()
    {
        var encoder = new InMemoryEncoder(TestData.HandTable(), maxHistoryLength: 2);
        var user = new float[2];

        encoder.Encode([1, 2], user);
        user.Should().Equal(0.5f, 0.5f);

        encoder.Encode([4, 1, 3], user); // truncated to [1, 3]
        user.Should().Equal(1f, 0.5f);

        encoder.Encode([], user);
        user.Should().Equal(0f, 0f);
    }

    [Fact]
    public void Batch_equals_single_calls_and_probabilities_are_sigmoid()
    {
        var encoder = new InMemoryEncoder(TestData.RandomTable(30, 5, seed: 2));
        var histories = new ReadOnlyMemory<int>[] { new[] { 1, 2, 3 }, Array.Empty<int>(), new[] { 30 } };
        var batch = new float[15];
        encoder.EncodeBatch(histories, batch);
        for (int u = 0; u < 3; u++)
        {
            var single = new float[5];
            encoder.Encode(histories[u].Span, single);
            batch.AsSpan(u * 5, 5).ToArray().Should().Equal(single);
        }

        var p = new float[3];
        ((ISequentialEncoder)encoder).ComputeProbabilities([0f, 2f, -1f], p);
        p.Should().Equal([0.5f, 0.880797f, 0.268941f], (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void A_custom_representation_replaces_the_mean()
    {
        var encoder = new InMemoryEncoder(TestData.HandTable(), representation: static (history, items, dest) => items[history[^1]].CopyTo(dest));
        var user = new float[2];
        encoder.Encode([1, 4], user);
        user.Should().Equal(-1f, 0.5f);
    }

    [Fact]
    public void Validates_arguments()
    {
        var encoder = TestData.HandEncoder();
        FluentActions.Invoking(() => new InMemoryEncoder(null!)).Should().Throw<ArgumentNullException>().WithParameterName("items");
        FluentActions.Invoking(() => new InMemoryEncoder(TestData.HandTable(), 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxHistoryLength");
        FluentActions.Invoking(() => encoder.Encode([1, 0], new float[2])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("history");
        FluentActions.Invoking(() => encoder.Encode([5], new float[2])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("history");
        FluentActions.Invoking(() => encoder.Encode([1], new float[1])).Should().Throw<ArgumentException>().WithParameterName("destination");
        FluentActions.Invoking(() => encoder.EncodeBatch(null!, new float[2])).Should().Throw<ArgumentNullException>().WithParameterName("histories");
        FluentActions.Invoking(() => encoder.EncodeBatch([new[] { 1 }, new[] { 2 }], new float[3])).Should().Throw<ArgumentException>().WithParameterName("destination");
    }
}
