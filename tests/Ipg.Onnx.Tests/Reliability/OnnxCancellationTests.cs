using Ipg.Encoders;
using Xunit.Abstractions;

namespace Ipg.Tests.Reliability;

/// <summary>
/// Cancellation of the ONNX encoder's batch (docs/reliability.md): cancelled from another thread shortly after it
/// starts, it throws <see cref="OperationCanceledException"/> promptly, and the same encoder then returns exactly the
/// results it returned before.
/// </summary>
[Collection(SerialReliabilityCollection.Name)]
public class OnnxCancellationTests(ITestOutputHelper output)
{
    private void CancelDuring(string what, Action<CancellationToken> call) =>
        Ipg.Tests.Shared.CancellationProbe.AssertPrompt(output.WriteLine, what, call);

    [Fact]
    public void Onnx_EncodeBatch_stops_promptly_and_the_encoder_still_encodes_identically()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxSasRecEncoderBadInputTests.TinyPath);
        string before = OnnxSasRecEncoderBadInputTests.Fingerprint(encoder);
        int n = encoder.ItemCount;
        var random = new Random(2);
        var histories = Enumerable.Range(0, 400_000).Select(_ => (ReadOnlyMemory<int>)Enumerable.Range(0, 20).Select(_ => random.Next(1, n + 1)).ToArray()).ToArray();
        var destination = new float[histories.Length * encoder.Dimension];

        CancelDuring("EncodeBatch (400,000 histories, chunks of 32)", token => encoder.EncodeBatch(histories, destination, token));

        OnnxSasRecEncoderBadInputTests.Fingerprint(encoder).Should().Be(before);
    }

    [Fact]
    public void Onnx_EncodeBatch_in_parallel_chunks_stops_promptly_and_stays_usable()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxSasRecEncoderBadInputTests.TinyPath, new OnnxSasRecEncoderOptions { BatchParallelism = 2 });
        string before = OnnxSasRecEncoderBadInputTests.Fingerprint(encoder);
        var histories = Enumerable.Range(0, 400_000).Select(i => (ReadOnlyMemory<int>)new[] { (i % encoder.ItemCount) + 1, 3, 5 }).ToArray();
        var destination = new float[histories.Length * encoder.Dimension];

        CancelDuring("EncodeBatch (400,000 histories, 2 chunks at a time)", token => encoder.EncodeBatch(histories, destination, token));

        OnnxSasRecEncoderBadInputTests.Fingerprint(encoder).Should().Be(before);
    }
}
