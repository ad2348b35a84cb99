using Ipg.Encoders;
using Microsoft.ML.OnnxRuntime;

namespace Ipg.Tests.Encoders;

public class OnnxSasRecEncoderOptionsTests
{
    [Fact]
    public void Defaults_are_documented_values_and_valid()
    {
        var options = OnnxSasRecEncoderOptions.Default;
        options.IntraOpThreads.Should().Be(1);
        options.InterOpThreads.Should().Be(1);
        options.GraphOptimizationLevel.Should().Be(GraphOptimizationLevel.ORT_ENABLE_ALL);
        options.MaxBatchSize.Should().Be(32);
        options.ExpectedItemCount.Should().BeNull();
        options.Warmup.Should().BeTrue();
        options.Validate();
    }

    [Fact]
    public void Validate_names_the_bad_option()
    {
        var d = OnnxSasRecEncoderOptions.Default;
        FluentActions.Invoking(() => (d with { IntraOpThreads = 0 }).Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("IntraOpThreads");
        FluentActions.Invoking(() => (d with { InterOpThreads = 0 }).Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("InterOpThreads");
        FluentActions.Invoking(() => (d with { MaxBatchSize = 0 }).Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("MaxBatchSize");
        FluentActions.Invoking(() => (d with { ExpectedItemCount = 0 }).Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ExpectedItemCount");
        FluentActions.Invoking(() => (d with { GraphOptimizationLevel = (GraphOptimizationLevel)42 }).Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("GraphOptimizationLevel");
        (d with { ExpectedItemCount = 3, MaxBatchSize = 1 }).Validate();
    }
}
