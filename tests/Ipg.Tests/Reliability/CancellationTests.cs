using System.Diagnostics;
using Ipg.Encoders;
using Ipg.Policies;
using Xunit.Abstractions;

namespace Ipg.Tests.Reliability;

/// <summary>
/// Cancellation of the long core operations (docs/reliability.md): cancelled from another thread shortly after
/// they start, each throws <see cref="OperationCanceledException"/> promptly, and the same object then returns
/// exactly the results it returned before.
/// </summary>
[Collection(SerialReliabilityCollection.Name)]
public class CancellationTests(ITestOutputHelper output)
{
    private TimeSpan CancelDuring(string what, Action<CancellationToken> call) =>
        Ipg.Tests.Shared.CancellationProbe.AssertPrompt(output.WriteLine, what, call);

    private sealed record Workload(InMemoryEncoder Encoder, IpgReranker Reranker, GuidanceTarget Target, float[] Users, int UserCount);

    private static Workload Large()
    {
        var items = TestData.RandomTable(4_000, 16, seed: 8);
        var encoder = new InMemoryEncoder(items);
        var reranker = new IpgReranker(encoder, IpgOptions.Default);
        const int users = 200_000;
        var random = new Random(9);
        var embeddings = new float[users * 16];
        for (int i = 0; i < embeddings.Length; i++)
        {
            embeddings[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return new Workload(encoder, reranker, reranker.PrepareTarget(17), embeddings, users);
    }

    private static RankedItem[] FirstUsers(Workload w, int users)
    {
        var destination = new RankedItem[users * 5];
        w.Reranker.RerankBatch(w.Users.AsMemory(0, users * 16), w.Target, 5, destination, new int[users]);
        return destination;
    }

    [Fact]
    public void RerankBatch_stops_promptly_and_the_reranker_still_returns_the_same_results()
    {
        var w = Large();
        var before = FirstUsers(w, 50);
        var destination = new RankedItem[w.UserCount * 5];

        CancelDuring("RerankBatch (200,000 users × 4,000 items)", token => w.Reranker.RerankBatch(w.Users, w.Target, 5, destination, new int[w.UserCount], null, cancellationToken: token));

        FirstUsers(w, 50).Should().Equal(before);
    }

    [Fact]
    public void Policies_stop_promptly_and_still_return_the_same_slates()
    {
        var w = Large();
        var histories = Enumerable.Range(0, w.UserCount).Select(_ => ReadOnlyMemory<int>.Empty).ToArray();
        var context = new PolicyContext(w.Encoder, w.Target, histories, w.Users, slateSize: 5);
        var small = new PolicyContext(w.Encoder, w.Target, histories[..50], w.Users.AsMemory(0, 50 * 16), slateSize: 5);
        IRecommendationPolicy[] policies = [new IpgPolicy(w.Reranker), new GreedyPolicy(), new TargetSimilarityPolicy(10f), new Rec2InfPolicy(50), new RandomPolicy(3)];
        foreach (var policy in policies)
        {
            var before = new int[50 * 5];
            policy.Recommend(small, before);
            var slates = new int[w.UserCount * 5];

            CancelDuring($"{policy.Name}.Recommend (200,000 users × 4,000 items)", token => policy.Recommend(context, slates, token));

            var after = new int[50 * 5];
            policy.Recommend(small, after);
            after.Should().Equal(before, policy.Name);
        }
    }
}
