namespace Ipg.Tests;

public class TopKSelectorTests
{
    [Fact]
    public void Equals_a_full_sort_for_many_lengths_and_k()
    {
        var random = new Random(1);
        foreach (int n in new[] { 0, 1, 2, 3, 7, 8, 9, 33, 100, 1000 })
        {
            foreach (int k in new[] { 1, 2, 5, 10, 2000 })
            {
                // Coarse keys so that ties are frequent.
                var keys = Enumerable.Range(0, n).Select(_ => (float)random.Next(0, 20)).ToArray();
                var order = new int[Math.Min(k, Math.Max(n, 1))];
                int written = TopKSelector.Select(keys, [], [], order);
                var expected = Enumerable.Range(0, n).OrderByDescending(p => keys[p]).ThenBy(p => p).Take(order.Length).ToArray();
                order[..written].Should().Equal(expected);
            }
        }
    }

    [Fact]
    public void Skips_nan_keys_and_excluded_ids_and_breaks_ties_by_id_not_position()
    {
        float[] keys = [1f, float.NaN, 3f, 3f, 2f];
        int[] ids = [10, 11, 40, 12, 13];
        ulong[] excluded = new ulong[1];
        excluded[0] |= 1UL << 13;
        var order = new int[5];

        int written = TopKSelector.Select(keys, ids, excluded, order);

        written.Should().Be(3);
        order[..3].Select(p => ids[p]).Should().Equal(12, 40, 10);
    }
}
