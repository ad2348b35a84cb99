namespace Ipg.Simulation.Tests;

/// <summary>A simulator over a given ground truth (<see cref="TopicSimulator.FromGroundTruth"/>).</summary>
public class TopicSimulatorGroundTruthTests
{
    private static readonly SimulatorOptions OneDimPerTopic = SimulatorOptions.Paper with { Users = 40, Items = 60, Topics = 8, DimensionsPerTopic = 1, Seed = 5 };

    [Fact]
    public void With_axis_directions_it_behaves_as_the_paper_world_with_one_dimension_per_topic()
    {
        // The paper's rule (multiply the topic's dimension by f) and the direction rule (remove (1 − f) of the
        // component along e_t) are the same map; only rounding may differ.
        var paper = new TopicSimulator(OneDimPerTopic);
        var explicitWorld = Copy(paper, AxisDirections(8));
        explicitWorld.HasExplicitGroundTruth.Should().BeTrue();
        paper.HasExplicitGroundTruth.Should().BeFalse();
        for (var r = 0; r < 40; r++)
        {
            var recs = Enumerable.Range(0, 40).Select(u => paper.OracleBestItem(u)).ToArray();
            explicitWorld.Step(recs).Should().Equal(paper.Step(recs), $"round {r}");
        }

        explicitWorld.UserEmbeddings.ToArray().Should().Equal(paper.UserEmbeddings.ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        for (var u = 0; u < 40; u++)
        {
            for (var t = 0; t < 8; t++)
            {
                explicitWorld.IsBored(u, t).Should().Be(paper.IsBored(u, t));
            }
        }
    }

    [Fact]
    public void Boredom_damps_the_component_along_the_topic_direction()
    {
        // d = 2, one user at (1, 0), items: id 1 = (1, 0) of topic 0 whose direction is (0.6, 0.8). Threshold 1 bores
        // topic 0 at the first click: drift v = 0.8·(1, 0) + 0.2·(1, 0) = (1, 0); damp: v − 0.2·(v·t)·t with
        // v·t = 0.6 → (1 − 0.072, −0.096) = (0.928, −0.096), then normalised.
        var options = SimulatorOptions.Paper with { Users = 1, Items = 1, Topics = 1, BoredomThreshold = 1, Offset = -100 };
        var sim = TopicSimulator.FromGroundTruth(options, 2, [1, 0], [1, 0], [0], [0.6, 0.8]);
        sim.Step([1]).Should().Equal(true);
        double norm = Math.Sqrt((0.928 * 0.928) + (0.096 * 0.096));
        sim.UserEmbedding(0).ToArray().Should().Equal([0.928 / norm, -0.096 / norm], (a, b) => Math.Abs(a - b) < 1e-15);
        sim.IsBored(0, 0).Should().BeTrue();
    }

    [Fact]
    public void Target_gains_match_cloning_and_applying_the_click_with_oblique_directions()
    {
        var random = new Random(3);
        var (users, items, topics, dirs) = RandomTruth(30, 50, 6, 12, random);
        var sim = TopicSimulator.FromGroundTruth(SimulatorOptions.Paper with { Users = 30, Items = 50, Topics = 6, Seed = 9 }, 12, users, items, topics, dirs);
        for (var r = 0; r < 15; r++)
        {
            sim.Step(Enumerable.Range(0, 30).Select(u => sim.OracleBestItem(u)).ToArray());
        }

        var gains = new double[50];
        var anyBored = false;
        for (var u = 0; u < 30; u += 4)
        {
            var target = 1 + ((u * 7) % 50);
            sim.TargetGainsIfClicked(u, target, gains);
            for (var id = 1; id <= 50; id += 2)
            {
                var copy = sim.Clone();
                var recs = new int[30];
                recs[u] = id;
                var clicks = new bool[30];
                clicks[u] = true;
                copy.ApplyRound(recs, clicks);
                gains[id - 1].Should().BeApproximately(copy.Preference(u, target) - sim.Preference(u, target), 1e-12, $"user {u}, item {id}");
                anyBored |= copy.IsBored(u, sim.ItemTopic(id));
            }
        }

        anyBored.Should().BeTrue("the warm-up must exercise the boredom branch");
    }

    [Fact]
    public void Save_load_and_clone_keep_the_ground_truth_and_the_paper_state_stays_version_1()
    {
        var random = new Random(4);
        var (users, items, topics, dirs) = RandomTruth(10, 20, 3, 5, random);
        var sim = TopicSimulator.FromGroundTruth(SimulatorOptions.Paper with { Users = 10, Items = 20, Topics = 3 }, 5, users, items, topics, dirs);
        sim.Step(Enumerable.Range(0, 10).Select(u => sim.OracleBestItem(u)).ToArray());

        using var stream = new MemoryStream();
        sim.Save(stream);
        BitConverter.ToInt32(stream.ToArray(), 8).Should().Be(2);
        stream.Position = 0;
        var loaded = TopicSimulator.Load(stream);
        loaded.ComputeStateHash().Should().Be(sim.ComputeStateHash());
        loaded.Dimension.Should().Be(5);
        loaded.ItemTopics.ToArray().Should().Equal(topics);
        sim.Clone().ComputeStateHash().Should().Be(sim.ComputeStateHash());
        var part = sim.TakeUsers(4);
        part.HasExplicitGroundTruth.Should().BeTrue();
        part.Dimension.Should().Be(5);

        // The next rounds agree after a round trip.
        var recs = Enumerable.Range(0, 10).Select(u => 1 + (u % 20)).ToArray();
        loaded.Step(recs).Should().Equal(sim.Step(recs));

        using var paper = new MemoryStream();
        new TopicSimulator(TestPresets.Small()).Save(paper);
        BitConverter.ToInt32(paper.ToArray(), 8).Should().Be(1);
    }

    [Fact]
    public void Bad_ground_truth_is_refused()
    {
        var o = SimulatorOptions.Paper with { Users = 1, Items = 2, Topics = 1 };
        double[] user = [1, 0];
        double[] items = [1, 0, 0, 1];
        FluentActions.Invoking(() => TopicSimulator.FromGroundTruth(o, 2, [1], items, [0, 0], [1, 0])).Should().Throw<ArgumentException>().WithParameterName("userEmbeddings");
        FluentActions.Invoking(() => TopicSimulator.FromGroundTruth(o, 2, user, [1, 0, double.NaN, 1], [0, 0], [1, 0])).Should().Throw<ArgumentException>().WithParameterName("itemEmbeddings").WithMessage("*NaN*");
        FluentActions.Invoking(() => TopicSimulator.FromGroundTruth(o, 2, user, items, [0, 1], [1, 0])).Should().Throw<ArgumentException>().WithParameterName("itemTopics");
        FluentActions.Invoking(() => TopicSimulator.FromGroundTruth(o, 2, user, items, [0, 0], [2, 0])).Should().Throw<ArgumentException>().WithParameterName("topicDirections").WithMessage("*unit vector*");
        FluentActions.Invoking(() => TopicSimulator.FromGroundTruth(o, 0, user, items, [0, 0], [1, 0])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("dimension");
        FluentActions.Invoking(() => TopicSimulator.FromGroundTruth(null!, 2, user, items, [0, 0], [1, 0])).Should().Throw<ArgumentNullException>();
        TopicSimulator.FromGroundTruth(o, 2, user, items, [0, 0], [0, 0]).HasExplicitGroundTruth.Should().BeTrue("a zero direction is allowed");
    }

    private static TopicSimulator Copy(TopicSimulator paper, double[] directions) =>
        TopicSimulator.FromGroundTruth(paper.Options, paper.Dimension, paper.UserEmbeddings, paper.ItemEmbeddings, paper.ItemTopics, directions);

    private static double[] AxisDirections(int topics)
    {
        var d = new double[topics * topics];
        for (var t = 0; t < topics; t++)
        {
            d[(t * topics) + t] = 1;
        }

        return d;
    }

    private static (double[] Users, double[] Items, int[] Topics, double[] Directions) RandomTruth(int users, int items, int topics, int d, Random random)
    {
        double[] Unit(int rows)
        {
            var v = new double[rows * d];
            for (var r = 0; r < rows; r++)
            {
                double n = 0;
                for (var k = 0; k < d; k++)
                {
                    v[(r * d) + k] = Math.Abs(random.NextDouble() - 0.3);
                    n += v[(r * d) + k] * v[(r * d) + k];
                }

                for (var k = 0; k < d; k++)
                {
                    v[(r * d) + k] /= Math.Sqrt(n);
                }
            }

            return v;
        }

        var topicOf = Enumerable.Range(0, items).Select(i => i % topics).ToArray();
        return (Unit(users), Unit(items), topicOf, Unit(topics));
    }
}
