using Ipg.Encoders;
using Ipg.Policies;

namespace Ipg.Tests.Policies;

/// <summary>Builds policy contexts over random or hand tables.</summary>
internal static class PolicyTestKit
{
    public static PolicyContext Context(ISequentialEncoder encoder, int target, float[][] users, ExclusionMask? mask = null, int slateSize = 1, int round = 0)
    {
        var embeddings = users.SelectMany(u => u).ToArray();
        var histories = users.Select(_ => ReadOnlyMemory<int>.Empty).ToArray();
        return new PolicyContext(encoder, GuidanceTarget.Create(encoder.ItemEmbeddings, target), histories, embeddings, mask, slateSize, round);
    }

    public static int[] Run(IRecommendationPolicy policy, PolicyContext context)
    {
        var slates = new int[context.UserCount * context.SlateSize];
        policy.Recommend(context, slates);
        return slates;
    }

    public static InMemoryEncoder RandomEncoder(int items = 80, int d = 6, int seed = 1) => new(TestData.RandomTable(items, d, seed));

    public static float[][] RandomUsers(int count, int d, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => TestData.RandomVector(d, random)).ToArray();
    }
}
