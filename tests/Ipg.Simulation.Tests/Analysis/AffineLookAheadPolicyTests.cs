using Ipg.Policies;
using Ipg.Simulation.Analysis;
using Ipg.Simulation.Tests.Guidance;

namespace Ipg.Simulation.Tests.Analysis;

public class AffineLookAheadPolicyTests
{
    [Fact]
    public void With_a_gamma_and_b_one_minus_gamma_it_is_IPG_Increase()
    {
        var world = new GuidanceTestWorld(users: 12, items: 40, rounds: 8);
        var sequences = InteractionLogFormat.ToSequences(world.Log, 12);
        var histories = sequences.Select(s => (ReadOnlyMemory<int>)s.Select(i => i + 1).ToArray()).ToArray();
        var embeddings = new float[12 * world.Encoder.Dimension];
        world.Encoder.EncodeBatch(histories, embeddings);
        var mask = new ExclusionMask(12, 40);
        mask.Add(2, 5);
        var context = new PolicyContext(world.Encoder, GuidanceTarget.Create(world.Encoder.ItemEmbeddings, 11), histories, embeddings, mask, 3);
        var affine = new int[12 * 3];
        var ipg = new int[12 * 3];

        new AffineLookAheadPolicy(0.8, 0.2).Recommend(context, affine);
        new IpgPolicy(new IpgReranker(world.Encoder, IpgOptions.Paper with { Gamma = 0.8f })).Recommend(context, ipg);

        affine.Should().Equal(ipg);
    }

    [Theory]
    [InlineData(double.NaN, 1.0, "a")]
    [InlineData(0.9, 0.0, "b")]
    [InlineData(0.9, double.PositiveInfinity, "b")]
    public void Bad_coefficients_are_refused(double a, double b, string parameter) =>
        FluentActions.Invoking(() => new AffineLookAheadPolicy(a, b)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be(parameter);
}
