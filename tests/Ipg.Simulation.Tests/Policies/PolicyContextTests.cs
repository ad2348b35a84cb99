using Ipg.Policies;

namespace Ipg.Tests.Policies;

public class PolicyContextTests
{
    [Fact]
    public void Validates_that_its_parts_agree()
    {
        var encoder = TestData.HandEncoder();
        var target = GuidanceTarget.Create(encoder.ItemEmbeddings, 2);
        var histories = new[] { ReadOnlyMemory<int>.Empty, ReadOnlyMemory<int>.Empty };
        var embeddings = new float[4];

        FluentActions.Invoking(() => new PolicyContext(null!, target, histories, embeddings)).Should().Throw<ArgumentNullException>().WithParameterName("encoder");
        FluentActions.Invoking(() => new PolicyContext(encoder, null!, histories, embeddings)).Should().Throw<ArgumentNullException>().WithParameterName("target");
        FluentActions.Invoking(() => new PolicyContext(encoder, target, null!, embeddings)).Should().Throw<ArgumentNullException>().WithParameterName("histories");
        FluentActions.Invoking(() => new PolicyContext(encoder, target, histories, new float[3])).Should().Throw<ArgumentException>().WithParameterName("userEmbeddings");
        FluentActions.Invoking(() => new PolicyContext(encoder, target, histories, embeddings, slateSize: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("slateSize");
        FluentActions.Invoking(() => new PolicyContext(encoder, target, histories, embeddings, round: -1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("round");
        FluentActions.Invoking(() => new PolicyContext(encoder, target, histories, embeddings, new ExclusionMask(1, 4))).Should().Throw<ArgumentException>().WithParameterName("exclusions");
        FluentActions.Invoking(() => new PolicyContext(encoder, GuidanceTarget.Create(TestData.HandTable(), 2), histories, embeddings)).Should().Throw<ArgumentException>().WithParameterName("target");

        var context = new PolicyContext(encoder, target, histories, new float[] { 1, 2, 3, 4 });
        context.UserCount.Should().Be(2);
        context.UserEmbedding(1).ToArray().Should().Equal(3f, 4f);
        FluentActions.Invoking(() => context.UserEmbedding(2)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("user");
    }
}
