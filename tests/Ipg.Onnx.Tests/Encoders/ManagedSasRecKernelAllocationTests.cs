using Ipg.Encoders;
using Ipg.Tests.Diagnostics;

namespace Ipg.Tests.Encoders;

/// <summary>
/// Allocation checks for the managed SASRec kernel; in the telemetry collection so that no test's metric
/// listener runs (and allocates) on this thread meanwhile.
/// </summary>
[Collection(nameof(TelemetryCollection))]
public class ManagedSasRecKernelAllocationTests
{
    [Theory]
    [InlineData("Fixtures/sasrec-tiny.onnx")]
    [InlineData("Fixtures/kernel/sasrec-v3-prenorm.onnx")]
    [InlineData("Fixtures/default/sasrec-default.onnx")]
    public void Steady_state_encodes_allocate_nothing(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        if (!File.Exists(path))
        {
            return; // the default model is optional (src/Ipg.Onnx/Models)
        }

        using var encoder = OnnxSasRecEncoder.Load(path, new OnnxSasRecEncoderOptions { Kernel = SasRecKernel.Managed });
        var random = new Random(2);
        int[][] histories =
        [
            [],
            [1],
            [.. Enumerable.Range(0, encoder.MaxHistoryLength / 2).Select(_ => random.Next(1, encoder.ItemCount + 1))],
            [.. Enumerable.Range(0, encoder.MaxHistoryLength).Select(_ => random.Next(1, encoder.ItemCount + 1))],
            [.. Enumerable.Range(0, encoder.MaxHistoryLength + 9).Select(_ => random.Next(1, encoder.ItemCount + 1))],
        ];
        var user = new float[encoder.Dimension];
        for (int i = 0; i < 20; i++)
        {
            encoder.Encode(histories[i % histories.Length], user);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            encoder.Encode(histories[i % histories.Length], user);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.Should().Be(0);
    }
}
