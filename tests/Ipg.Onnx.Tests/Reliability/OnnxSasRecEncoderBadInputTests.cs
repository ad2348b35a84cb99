using Ipg.Encoders;
using Ipg.Tests.Encoders;

namespace Ipg.Tests.Reliability;

/// <summary>
/// The bad-input matrix of docs/reliability.md for the ONNX encoder (rows R24–R32): broken model files and bad
/// requests are refused with the documented exception, and an encoder already loaded in the same process (the
/// shared state of a service) encodes bit for bit as before.
/// </summary>
/// <remarks>The per-model messages are asserted in <see cref="OnnxSasRecEncoderTests"/>; here every row also checks the live encoder.</remarks>
// In the serial collection: Failed_loads_release_their_native_sessions reads process-wide memory, which
// other test classes' ONNX sessions would disturb when run in parallel (it failed that way once in CI).
[Collection(SerialReliabilityCollection.Name)]
public sealed class OnnxSasRecEncoderBadInputTests : IDisposable
{
    private static readonly int[][] Probe = [[], [1], [5, 9, 12], [.. Enumerable.Range(1, 60)]];

    private readonly string _folder = Directory.CreateTempSubdirectory("ipg-rel-onnx-").FullName;
    private readonly OnnxSasRecEncoder _live = OnnxSasRecEncoder.Load(TinyPath);

    public static string TinyPath => OnnxFixtures.FullPath(Path.Combine("Fixtures", "sasrec-tiny.onnx"));

    public static TheoryData<string, string, string> BrokenFiles => new()
    {
        // row, what, broken model under Fixtures/broken
        { "R28", "wrong input name", "missing-input" },
        { "R28", "an extra input", "extra-input" },
        { "R28", "no user output", "missing-user-output" },
        { "R28", "no item table output", "missing-items-output" },
        { "R29", "int32 ids", "input-int32" },
        { "R29", "float64 user output", "user-float64" },
        { "R30", "fixed batch axis", "input-fixed-batch" },
        { "R30", "history length disagrees with metadata", "input-wrong-length" },
        { "R30", "rank-3 user output", "user-rank3" },
        { "R30", "hidden size disagrees with metadata", "hidden-size-mismatch" },
        { "R30", "item table rows disagree with metadata (static)", "item-count-static-mismatch" },
        { "R30", "item table rows disagree with metadata (at run time)", "item-table-rows-mismatch" },
        { "R31", "no metadata at all", "no-metadata" },
        { "R31", "ipg.max_length missing", "missing-max-length" },
        { "R31", "ipg.item_count not a number", "unparsable-item-count" },
        { "R31", "unsupported contract version", "contract-v3" },
        { "R31", "contract 2 without its acceptance function", "v2-missing-acceptance" },
        { "R31", "a softmax declared under contract 1", "v1-softmax" },
        { "R31", "a bias output under contract 1", "v1-with-bias" },
        { "R31", "right padding", "padding-right" },
        { "R31", "ipg.producer missing", "missing-producer" },
    };

    public void Dispose()
    {
        _live.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void A_model_that_breaks_the_contract_is_refused_and_the_live_encoder_is_unchanged(string row, string what, string file)
    {
        string before = Fingerprint(_live);
        string path = OnnxFixtures.Broken(file);
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(path)).Should().Throw<InvalidDataException>($"{row}: {what}")
            .WithMessage($"The ONNX model '{path}' breaks the Ipg encoder contract*");
        Fingerprint(_live).Should().Be(before);
    }

    [Fact]
    public void A_missing_empty_truncated_or_non_onnx_file_is_refused_and_the_live_encoder_is_unchanged()
    {
        string before = Fingerprint(_live);

        // R24: missing.
        string missing = Path.Combine(_folder, "missing.onnx");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(missing)).Should().Throw<FileNotFoundException>().Which.FileName.Should().Be(missing);

        // R25: empty (file, bytes, stream).
        string empty = Path.Combine(_folder, "empty.onnx");
        File.WriteAllBytes(empty, []);
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(empty)).Should().Throw<InvalidDataException>().WithMessage($"*'{empty}' is an empty file*");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(new MemoryStream())).Should().Throw<InvalidDataException>().WithMessage("*empty*");

        // R26: a half-copied file, cut at many places.
        byte[] tiny = File.ReadAllBytes(TinyPath);
        foreach (int cut in new[] { 1, 16, 100, tiny.Length / 4, tiny.Length / 2, (3 * tiny.Length) / 4, tiny.Length - 200 })
        {
            string truncated = Path.Combine(_folder, $"cut-{cut}.onnx");
            File.WriteAllBytes(truncated, tiny[..cut]);
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(truncated)).Should().Throw<InvalidDataException>($"a copy cut at byte {cut} of {tiny.Length}")
                .WithMessage($"The ONNX model '{truncated}'*");
        }

        // R27: not ONNX at all.
        var random = new byte[4096];
        new Random(1).NextBytes(random);
        var garbage = new (string Name, byte[] Bytes)[]
        {
            ("text", "this is not an ONNX model\n"u8.ToArray()),
            ("random", random),
            ("zeros", new byte[4096]),
            ("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]),
        };
        foreach (var (name, bytes) in garbage)
        {
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(bytes)).Should().Throw<InvalidDataException>(name).WithMessage("The ONNX model (from a byte array)*");
        }

        Fingerprint(_live).Should().Be(before);
    }

    [Fact]
    public void An_item_count_the_caller_does_not_expect_is_refused_by_name()
    {
        // R32.
        string before = Fingerprint(_live);
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(TinyPath, new OnnxSasRecEncoderOptions { ExpectedItemCount = _live.ItemCount + 1 }))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage($"The caller expects {_live.ItemCount + 1} items*ipg.item_count = {_live.ItemCount}*");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(TinyPath, new OnnxSasRecEncoderOptions { MaxBatchSize = 0 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("MaxBatchSize");
        Fingerprint(_live).Should().Be(before);
    }

    [Fact]
    public void Bad_requests_are_refused_without_touching_the_destination_or_the_encoder()
    {
        // R12 and R22 on the ONNX encoder; R13 and R14 as documented results.
        string before = Fingerprint(_live);
        int n = _live.ItemCount;
        int d = _live.Dimension;
        var destination = new float[2 * d];
        destination.AsSpan().Fill(7f);
        foreach (int bad in new[] { 0, -1, n + 1, int.MinValue, int.MaxValue })
        {
            FluentActions.Invoking(() => _live.Encode([1, bad], destination)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("history");
            FluentActions.Invoking(() => _live.EncodeBatch([new[] { 1 }, new[] { 2, bad }], destination)).Should().Throw<ArgumentOutOfRangeException>()
                .WithParameterName("histories").WithMessage($"History 1: item id at position 1 is {bad}*");
        }

        FluentActions.Invoking(() => _live.Encode([1], new float[d - 1])).Should().Throw<ArgumentException>().WithParameterName("destination");
        FluentActions.Invoking(() => _live.EncodeBatch([new[] { 1 }, new[] { 2 }], new float[(2 * d) - 1])).Should().Throw<ArgumentException>().WithParameterName("destination");
        destination.Should().OnlyContain(v => v == 7f, "every history is validated before anything runs");

        // A history far longer than L keeps its L most recent items; an empty one is an all-padding row.
        var longHistory = Enumerable.Range(0, 10_000).Select(i => (i % n) + 1).ToArray();
        var a = new float[d];
        var b = new float[d];
        _live.Encode(longHistory, a);
        _live.Encode(longHistory[^_live.MaxHistoryLength..], b);
        a.Should().Equal(b);
        _live.Encode([], a);
        a.Should().OnlyContain(v => float.IsFinite(v));

        Fingerprint(_live).Should().Be(before);
    }

    [Fact]
    public void Use_after_dispose_throws_ObjectDisposedException_and_other_encoders_are_unaffected()
    {
        // R36.
        string before = Fingerprint(_live);
        var disposed = OnnxSasRecEncoder.Load(TinyPath);
        var reranker = new IpgReranker(disposed);
        var target = reranker.PrepareTarget(3);
        disposed.Dispose();
        FluentActions.Invoking(() => disposed.Encode([1], new float[64])).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => disposed.EncodeBatch([new[] { 1 }], new float[64])).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => reranker.Recommend([1, 2], target, 5)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => reranker.PrepareTarget(3)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => _ = new IpgReranker(disposed)).Should().Throw<ObjectDisposedException>();
        disposed.Dispose();
        Fingerprint(_live).Should().Be(before);
    }

    [Fact]
    public void Failed_loads_release_their_native_sessions()
    {
        // "Never leak": a refused model's session is disposed. 300 refused loads of a model ONNX Runtime does open
        // must not grow the process by more than a few megabytes.
        string broken = OnnxFixtures.Broken("missing-producer");
        for (int i = 0; i < 30; i++)
        {
            Refuse();
        }

        long before = Settle();
        for (int i = 0; i < 300; i++)
        {
            Refuse();
        }

        long after = Settle();
        (after - before).Should().BeLessThan(24L << 20, $"private memory went from {before >> 20} MB to {after >> 20} MB over 300 refused loads");

        void Refuse() => FluentActions.Invoking(() => OnnxSasRecEncoder.Load(broken)).Should().Throw<InvalidDataException>();
    }

    internal static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PrivateMemorySize64;
    }

    internal static string Fingerprint(OnnxSasRecEncoder encoder)
    {
        int d = encoder.Dimension;
        var batch = new float[Probe.Length * d];
        encoder.EncodeBatch(Probe.Select(h => (ReadOnlyMemory<int>)h).ToArray(), batch);
        var single = new float[d];
        encoder.Encode(Probe[2], single);
        return string.Join(',', batch.Concat(single).Select(BitConverter.SingleToInt32Bits))
            + ";" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(encoder.ItemEmbeddings.Rows)));
    }
}
