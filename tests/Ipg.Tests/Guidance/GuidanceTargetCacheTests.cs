using Ipg.Encoders;

namespace Ipg.Tests.Guidance;

public class GuidanceTargetCacheTests
{
    [Fact]
    public void Prepares_once_and_reuses()
    {
        var encoder = new InMemoryEncoder(TestData.RandomTable(50, 4, seed: 1));
        var cache = new GuidanceTargetCache(encoder, capacity: 8);
        var first = cache.GetOrPrepare(7);
        cache.GetOrPrepare(7).Should().BeSameAs(first);
        first.ItemId.Should().Be(7);
        first.Items.Should().BeSameAs(encoder.ItemEmbeddings);
        cache.Count.Should().Be(1);
    }

    [Fact]
    public void Campaigns_with_the_same_members_in_any_order_share_an_entry()
    {
        var encoder = new InMemoryEncoder(TestData.RandomTable(50, 4, seed: 1));
        var cache = new GuidanceTargetCache(encoder);
        var a = cache.GetOrPrepareCampaign([new WeightedItem(3, 1f), new WeightedItem(9, 2f)]);
        cache.GetOrPrepareCampaign([new WeightedItem(9, 2f), new WeightedItem(3, 1f)]).Should().BeSameAs(a);
        cache.GetOrPrepareCampaign([new WeightedItem(9, 2.5f), new WeightedItem(3, 1f)]).Should().NotBeSameAs(a);
        cache.GetOrPrepare(3).Should().NotBeSameAs(a);
        cache.Count.Should().Be(3);
    }

    [Fact]
    public void Least_recently_used_goes_first_when_full()
    {
        var encoder = new InMemoryEncoder(TestData.RandomTable(50, 4, seed: 1));
        var cache = new GuidanceTargetCache(encoder, capacity: 2);
        var one = cache.GetOrPrepare(1);
        var two = cache.GetOrPrepare(2);
        cache.GetOrPrepare(1).Should().BeSameAs(one); // 1 is now the most recent
        cache.GetOrPrepare(3);                        // evicts 2
        cache.Count.Should().Be(2);
        cache.GetOrPrepare(1).Should().BeSameAs(one);
        cache.GetOrPrepare(2).Should().NotBeSameAs(two);
    }

    [Fact]
    public void A_new_item_table_invalidates_every_entry()
    {
        var swapping = new SwappingEncoder(new InMemoryEncoder(TestData.RandomTable(50, 4, seed: 1)));
        var cache = new GuidanceTargetCache(swapping);
        var old = cache.GetOrPrepare(5);
        swapping.Current = new InMemoryEncoder(TestData.RandomTable(60, 4, seed: 2));

        var fresh = cache.GetOrPrepare(5);

        fresh.Should().NotBeSameAs(old);
        fresh.Items.Should().BeSameAs(swapping.ItemEmbeddings);
        cache.Count.Should().Be(1);
        new IpgReranker(swapping).RerankCatalogue(new float[4], fresh, new RankedItem[3]).Should().Be(3);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var encoder = new InMemoryEncoder(TestData.RandomTable(5, 2, seed: 1));
        FluentActions.Invoking(() => new GuidanceTargetCache(null!)).Should().Throw<ArgumentNullException>().WithParameterName("encoder");
        FluentActions.Invoking(() => new GuidanceTargetCache(encoder, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("capacity");
        FluentActions.Invoking(() => new GuidanceTargetCache(encoder).GetOrPrepare(6)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("targetItemId");
        FluentActions.Invoking(() => new GuidanceTargetCache(encoder).GetOrPrepareCampaign([])).Should().Throw<ArgumentException>().WithParameterName("members");
    }

    [Fact]
    public void Concurrent_lookups_return_one_prepared_instance_per_target()
    {
        var encoder = new InMemoryEncoder(TestData.RandomTable(500, 16, seed: 3));
        var cache = new GuidanceTargetCache(encoder, capacity: 1000);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, GuidanceTarget>();
        Parallel.For(0, 20_000, i =>
        {
            int id = 1 + (i % 97);
            var t = cache.GetOrPrepare(id);
            seen.GetOrAdd(id, t);
        });

        for (int id = 1; id <= 97; id++)
        {
            cache.GetOrPrepare(id).Should().BeSameAs(seen[id]);
        }
    }

    /// <summary>An encoder whose model can be swapped, as a service would on a model update.</summary>
    private sealed class SwappingEncoder(ISequentialEncoder initial) : ISequentialEncoder
    {
        public ISequentialEncoder Current { get; set; } = initial;

        public int ItemCount => Current.ItemCount;

        public int Dimension => Current.Dimension;

        public int MaxHistoryLength => Current.MaxHistoryLength;

        public ItemEmbeddingTable ItemEmbeddings => Current.ItemEmbeddings;

        public void Encode(ReadOnlySpan<int> history, Span<float> destination) => Current.Encode(history, destination);

        public void EncodeBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, Span<float> destination, CancellationToken cancellationToken = default)
            => Current.EncodeBatch(histories, destination, cancellationToken);
    }
}
