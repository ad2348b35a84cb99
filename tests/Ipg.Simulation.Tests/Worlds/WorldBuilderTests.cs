using System.Text;
using Ipg.Simulation.Worlds;

namespace Ipg.Simulation.Tests.Worlds;

public class WorldBuilderTests
{
    internal static readonly WorldBuildOptions Small = WorldBuildOptions.Default with { Dimension = 8, Iterations = 10, Topics = 5, CalibrationSamples = 50_000 };

    [Fact]
    public void The_same_log_and_seed_give_the_same_world_hash_and_another_seed_another()
    {
        var (log, _, _) = PlantedLog.Create();
        var a = WorldBuilder.Build(log, Small);
        var b = WorldBuilder.Build(log, Small);
        var c = WorldBuilder.Build(log, Small with { Seed = 9 });

        a.ComputeHash().Should().Be(b.ComputeHash());
        a.UserVectors.ToArray().Should().Equal(b.UserVectors.ToArray());
        c.ComputeHash().Should().NotBe(a.ComputeHash());
    }

    [Fact]
    public void The_fitted_ground_truth_recovers_planted_clusters_far_better_than_popularity()
    {
        var (log, userCluster, itemCluster) = PlantedLog.Create();
        var world = WorldBuilder.Build(log, Small);
        var report = WorldReport.Compute(world);

        // Within a planted cluster of 40 items a user's next item is one of the cluster's items 90 % of the time, so the
        // ground truth should rank it far above the global popularity ranking, which ignores the cluster.
        report.GroundTruthHitRate.Should().BeGreaterThan(0.3);
        report.GroundTruthHitRate.Should().BeGreaterThan(2 * report.PopularityHitRate);
        report.GroundTruthNdcg.Should().BeGreaterThan(report.PopularityNdcg);
        report.IsRealDataWorld.Should().BeTrue();
        report.Verdict.Should().StartWith("real-data world");

        // The vectors are unit vectors, users are closer to items of their own cluster than to the others.
        for (var u = 0; u < world.UserCount; u++)
        {
            DeterministicMath.Norm(world.UserVector(u)).Should().BeApproximately(1, 1e-12);
        }

        var own = 0.0;
        var other = 0.0;
        int ownCount = 0, otherCount = 0;
        for (var u = 0; u < world.UserCount; u++)
        {
            var cluster = userCluster[(int)world.RawUserId(u) - 100];
            for (var id = 1; id <= world.ItemCount; id++)
            {
                var s = DeterministicMath.Dot(world.UserVector(u), world.ItemVector(id));
                if (itemCluster[(int)world.RawItemId(id) - 1000] == cluster)
                {
                    own += s;
                    ownCount++;
                }
                else
                {
                    other += s;
                    otherCount++;
                }
            }
        }

        (own / ownCount).Should().BeGreaterThan((other / otherCount) + 0.3);
    }

    [Fact]
    public void Max_norm_items_keep_the_fitted_models_ranking_inside_the_unit_ball()
    {
        var (log, _, _) = PlantedLog.Create();
        var options = Small with { ItemNormalization = ItemVectorNormalization.MaxNorm };
        var world = WorldBuilder.Build(log, options);

        var norms = Enumerable.Range(1, world.ItemCount).Select(id => DeterministicMath.Norm(world.ItemVector(id))).ToArray();
        norms.Max().Should().BeApproximately(1, 1e-12);
        norms.Min().Should().BeLessThan(0.9, "popular and unpopular items keep different norms");

        // Each user's ranking is the raw factor model's: user normalisation and one global item scale preserve it.
        var split = LeaveLastOutSplit.Create(log, options.MinInteractions);
        var (x, y) = ImplicitAls.Fit(Array.ConvertAll(split.Train, h => Array.ConvertAll(h, id => id - 1)), split.Items.Length, options, null, CancellationToken.None);
        var d = options.Dimension;
        for (var u = 0; u < world.UserCount; u += 37)
        {
            int[] Order(Func<int, double> score) => [.. Enumerable.Range(1, world.ItemCount).OrderByDescending(score).ThenBy(id => id)];
            var raw = Order(id => DeterministicMath.Dot(x.AsSpan(u * d, d), y.AsSpan((id - 1) * d, d)));
            Order(id => DeterministicMath.Dot(world.UserVector(u), world.ItemVector(id))).Take(20).Should().Equal(raw.Take(20));
        }

        using var stream = new MemoryStream();
        world.Save(stream);
        stream.Position = 0;
        var loaded = RealDataWorld.Load(stream);
        loaded.Options.ItemNormalization.Should().Be(ItemVectorNormalization.MaxNorm);
        loaded.ComputeHash().Should().Be(world.ComputeHash());
        loaded.ComputeHash().Should().NotBe(WorldBuilder.Build(log, Small).ComputeHash());
    }

    [Fact]
    public void K_means_topics_recover_the_planted_item_clusters()
    {
        var (log, _, itemCluster) = PlantedLog.Create();
        var world = WorldBuilder.Build(log, Small);

        world.TopicCount.Should().Be(5);
        world.TopicNames.Should().Equal("cluster 0", "cluster 1", "cluster 2", "cluster 3", "cluster 4");

        // Purity: the share of items whose topic is the majority topic of their planted cluster.
        var pure = 0;
        foreach (var group in Enumerable.Range(1, world.ItemCount).GroupBy(id => itemCluster[(int)world.RawItemId(id) - 1000]))
        {
            pure += group.GroupBy(world.ItemTopic).Max(g => g.Count());
        }

        ((double)pure / world.ItemCount).Should().BeGreaterThan(0.9);
        for (var t = 0; t < world.TopicCount; t++)
        {
            DeterministicMath.Norm(world.TopicDirections.Slice(t * world.Dimension, world.Dimension)).Should().BeApproximately(1, 1e-12);
        }
    }

    [Fact]
    public void The_offset_is_calibrated_so_that_random_pairs_are_clicked_at_the_target_rate()
    {
        var (log, _, _) = PlantedLog.Create();
        var world = WorldBuilder.Build(log, Small with { TargetRandomClickRate = 0.2 });

        ClickCalibration.MeanClickProbability(
            ClickCalibration.RandomScores(world.UserVectors.ToArray(), world.ItemVectors.ToArray(), world.Dimension, Small.CalibrationSamples, Small.Seed, 0),
            world.Offset,
            world.Slope).Should().BeApproximately(0.2, 1e-9);

        // An independent sample (the report's) agrees to sampling error.
        WorldReport.Compute(world).RandomClickProbability.Should().BeApproximately(0.2, 0.01);
    }

    [Fact]
    public void The_split_holds_out_each_users_last_item_and_drops_short_users()
    {
        // User 1: 4 items; user 2: 2 items (dropped); user 3: 3 items whose last (item 9) no train history holds
        // (dropped, then item 8, seen only by user 3, leaves the catalogue).
        var text = "1 5 6 7 5\n2 5 6\n3 8 6 9\n4 6 7 6\n";
        var log = InteractionLogReader.Read(Encoding.ASCII.GetBytes(text), InteractionLogKind.Sequences, "s.txt");
        var world = WorldBuilder.Build(log, Small with { Topics = 2 });

        world.UserCount.Should().Be(2);
        world.RawUserId(0).Should().Be(1);
        world.RawUserId(1).Should().Be(4);
        world.Dropped.Should().Be(new WorldDropCounts(ShortHistories: 1, HeldOutOutsideCatalogue: 1, ItemsWithoutTrainInteractions: 2));
        world.ItemCount.Should().Be(3);
        Enumerable.Range(1, 3).Select(world.RawItemId).Should().Equal(5, 6, 7);
        world.TrainHistory(0).ToArray().Select(id => world.RawItemId(id)).Should().Equal(5, 6, 7);
        world.RawItemId(world.HeldOutItem(0)).Should().Be(5);
        world.TrainHistory(1).ToArray().Select(id => world.RawItemId(id)).Should().Equal(6, 7);
        world.RawItemId(world.HeldOutItem(1)).Should().Be(6);
    }

    [Fact]
    public void Metadata_labels_become_topics_ordered_by_size_with_unknown_and_other()
    {
        var (log, _, itemCluster) = PlantedLog.Create();
        var labels = new Dictionary<long, string>();
        for (var i = 0; i < itemCluster.Length; i++)
        {
            if (i % 10 != 9)
            {
                labels[i + 1000] = itemCluster[i] < 2 ? "big" : $"small {itemCluster[i]}";
            }
        }

        var sha = new string('a', 64);
        var world = WorldBuilder.Build(log, Small, labels, sha);
        // Items i with i % 10 == 9 are all in planted cluster 4 and have no label.
        world.TopicNames.Should().Equal("big", "small 2", "small 3", "small 4", WorldBuilder.UnknownTopic);
        WorldReport.Compute(world).TopicSizes.Should().Equal(80, 40, 40, 20, 20);
        world.MetadataSha256.Should().Be(sha);
        var capped = WorldBuilder.Build(log, Small with { MaxMetadataTopics = 3 }, labels, sha);
        capped.TopicNames.Should().Equal("big", WorldBuilder.OtherTopic, "small 2");
        WorldReport.Compute(capped).TopicSizes.Should().Equal(80, 80, 40);
    }

    [Fact]
    public void Metadata_without_its_hash_is_rejected() =>
        FluentActions.Invoking(() => WorldBuilder.Build(PlantedLog.Create().Log, Small, new Dictionary<long, string>()))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("metadataSha256");

    [Theory]
    [InlineData(nameof(WorldBuildOptions.Dimension))]
    [InlineData(nameof(WorldBuildOptions.MinInteractions))]
    [InlineData(nameof(WorldBuildOptions.Regularization))]
    [InlineData(nameof(WorldBuildOptions.TargetRandomClickRate))]
    [InlineData(nameof(WorldBuildOptions.Omega))]
    [InlineData(nameof(WorldBuildOptions.BoredomWindow))]
    public void Invalid_options_name_the_parameter(string name)
    {
        var options = name switch
        {
            nameof(WorldBuildOptions.Dimension) => Small with { Dimension = 0 },
            nameof(WorldBuildOptions.MinInteractions) => Small with { MinInteractions = 1 },
            nameof(WorldBuildOptions.Regularization) => Small with { Regularization = -1 },
            nameof(WorldBuildOptions.TargetRandomClickRate) => Small with { TargetRandomClickRate = 1 },
            nameof(WorldBuildOptions.Omega) => Small with { Omega = 1.5 },
            _ => Small with { BoredomWindow = 0 },
        };
        FluentActions.Invoking(options.Validate).Should().Throw<ArgumentException>().Which.ParamName.Should().Be(name);
    }
}
