using Ipg.Simulation.Worlds;

namespace Ipg.Simulation.Tests.Worlds;

public class WorldReportTests
{
    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    /// <summary>Two users, four unit items in 2-d; offset 0.5, slope 10.</summary>
    private static RealDataWorld Tiny() => new(
        WorldBuildOptions.Default with { Dimension = 2, CalibrationSamples = 1000 },
        offset: 0.5,
        userVectors: [1, 0, 0, 1],
        itemVectors: [1, 0, 0, 1, 0.6, 0.8, 0.8, 0.6],
        itemTopics: [0, 1, 1, 0],
        topicNames: ["a", "b"],
        topicDirections: [1, 0, 0, 1],
        histories: [[2], [1]],
        heldOut: [4, 2],
        rawUserIds: [10, 20],
        rawItemIds: [101, 102, 103, 104],
        InteractionLogKind.Lines,
        new byte[32],
        null,
        default);

    [Fact]
    public void Ranking_metrics_and_click_probabilities_match_a_hand_computation()
    {
        var report = WorldReport.Compute(Tiny());

        // User 0 (1,0): train {2}; scores 1: 1, 3: 0.6, 4: 0.8 → the held-out item 4 is second: NDCG 1/log2(3).
        // User 1 (0,1): train {1}; the held-out item 2 scores 1 and is first.
        report.GroundTruthHitRate.Should().Be(1);
        report.GroundTruthNdcg.Should().BeApproximately((1 / Math.Log2(3) + 1) / 2, 1e-12);

        // Popularity: items 1 and 2 once each, 3 and 4 never; order 1, 2, 3, 4 (ties to the lower id). User 0 without
        // item 2: 1, 3, 4 → rank 3; user 1 without item 1: 2 first.
        report.PopularityHitRate.Should().Be(1);
        report.PopularityNdcg.Should().BeApproximately((0.5 + 1) / 2, 1e-12);

        report.HeldOutClickProbability.Should().BeApproximately((Sigmoid(3) + Sigmoid(5)) / 2, 1e-9);
        report.GroundTruthBestClickProbability.Should().BeApproximately(Sigmoid(5), 1e-9);
        var top = (Sigmoid(5) + Sigmoid(3) + Sigmoid(1)) / 3;
        report.GroundTruthTop10ClickProbability.Should().BeApproximately(top, 1e-9);
        report.PopularClickProbability.Should().BeApproximately(top, 1e-9);
        report.HeldOutInTrainFraction.Should().Be(0);
        report.TopicSizes.Should().Equal(2, 2);
        report.TrainInteractions.Should().Be(2);
    }

    [Fact]
    public void A_ground_truth_that_does_not_beat_popularity_is_called_not_a_real_data_world()
    {
        // Equal HR@10 (both 1): the ground truth does not beat popularity on both metrics.
        var report = WorldReport.Compute(Tiny());
        report.IsRealDataWorld.Should().BeFalse();
        report.Verdict.Should().StartWith("not a real-data world");
        report.ToText().Should().EndWith(report.Verdict);
        report.ToJson().Should().Contain("\"isRealDataWorld\": false").And.Contain("\"groundTruthNdcg\"");
    }

    [Fact]
    public void A_held_out_item_inside_the_train_history_is_a_miss_for_both_rankings()
    {
        var world = new RealDataWorld(
            WorldBuildOptions.Default with { Dimension = 2, CalibrationSamples = 1000 }, 0.5, [1, 0], [1, 0, 0, 1], [0, 0], ["a"], [1, 0],
            [[1, 2]], [1], [1], [1, 2], InteractionLogKind.Lines, new byte[32], null, default);
        var report = WorldReport.Compute(world);
        report.HeldOutInTrainFraction.Should().Be(1);
        report.GroundTruthHitRate.Should().Be(0);
        report.PopularityHitRate.Should().Be(0);
    }
}
