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
        options.Kernel.Should().Be(SasRecKernel.Auto);
        options.ConfigureSession.Should().BeNull();
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

    [Theory]
    [InlineData(SasRecKernel.OnnxRuntime)]
    [InlineData(SasRecKernel.Managed)]
    public void ConfigureSession_sees_Ipgs_settings_and_what_it_sets_applies(SasRecKernel kernel)
    {
        // What the callback sets must reach the session: ONNX Runtime writes the optimised graph to
        // OptimizedModelFilePath when the session is created, so the file's existence proves it.
        var dir = Directory.CreateTempSubdirectory("ipg-configure-session-");
        try
        {
            var written = Path.Combine(dir.FullName, "optimised.onnx");
            int calls = 0, intraOp = 0;
            var options = new OnnxSasRecEncoderOptions
            {
                IntraOpThreads = 2,
                Kernel = kernel,
                ConfigureSession = o =>
                {
                    calls++;
                    intraOp = o.IntraOpNumThreads;
                    o.OptimizedModelFilePath = written;
                },
            };
            using (var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"), options))
            {
                encoder.Encode([1, 2, 3], new float[encoder.Dimension]);
            }

            calls.Should().Be(1);
            intraOp.Should().Be(2, "Ipg's own settings are made before the callback runs");
            File.Exists(written).Should().BeTrue();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ConfigureSession_that_throws_fails_the_load_with_its_own_exception()
    {
        var options = new OnnxSasRecEncoderOptions { ConfigureSession = _ => throw new InvalidOperationException("no such device") };
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"), options))
            .Should().Throw<InvalidOperationException>().WithMessage("no such device");
    }
}
