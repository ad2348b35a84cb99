using System.Numerics.Tensors;
using Ipg.Encoders;
using Ipg.Encoders.Managed;
using Xunit.Abstractions;

namespace Ipg.Tests.Encoders;

/// <summary>
/// The managed SASRec kernel (<see cref="SasRecKernel.Managed"/>) against ONNX Runtime and the PyTorch golden
/// fixtures, on every committed model: the two tiny ones (v1, v2), the default model, and the kernel fixtures
/// (v3-prenorm, v3-postnorm, v1/v2 exported last-position-only, hidden sizes 12–24 that are not multiples of 8).
/// </summary>
public class ManagedSasRecKernelTests(ITestOutputHelper output)
{
    /// <summary>
    /// Managed vs ONNX Runtime on the same CPU: the same arithmetic in another summation order (and a padding
    /// key weighted by P instead of P equal keys). Observed ≤ about 1e-6; the bound leaves a margin.
    /// </summary>
    private const float OrtTolerance = 1e-5f;

    /// <summary>Managed vs the PyTorch fixtures: the bound the ORT parity test uses.</summary>
    private const float PyTorchTolerance = 1e-5f;

    private static readonly OnnxSasRecEncoderOptions s_managed = new() { Kernel = SasRecKernel.Managed };

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (string model in ModelPaths())
        {
            data.Add(model);
        }

        return data;
    }

    private static List<string> ModelPaths()
    {
        var paths = new List<string> { Path.Combine("Fixtures", "sasrec-tiny.onnx"), Path.Combine("Fixtures", "sasrec-tiny-v2.onnx") };
        foreach (string folder in new[] { "default", "kernel" })
        {
            string full = Path.Combine(OnnxFixtures.Folder, folder);
            if (Directory.Exists(full))
            {
                paths.AddRange(Directory.GetFiles(full, "*.onnx").Order(StringComparer.Ordinal).Select(m => Path.GetRelativePath(AppContext.BaseDirectory, m)));
            }
        }

        return paths;
    }

    [Fact]
    public void Every_layout_and_the_default_model_are_covered()
    {
        var paths = ModelPaths();
        paths.Select(m => OnnxFixtures.Read(OnnxFixtures.FullPath(m)).Layout).Distinct()
            .Should().BeEquivalentTo(["pmixer-v1", "pmixer-v2", "pmixer-v3-prenorm", "pmixer-v3-postnorm"]);
        paths.Select(Path.GetFileName).Should().Contain("sasrec-default.onnx");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Equals_onnx_runtime_on_every_length_and_the_boundary_ids(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        using var ort = OnnxSasRecEncoder.Load(path);
        using var managed = OnnxSasRecEncoder.Load(path, s_managed);
        int length = ort.MaxHistoryLength;
        int n = ort.ItemCount;
        var random = new Random(17);
        var histories = new List<int[]>();
        for (int len = 0; len <= length + 5; len++)
        {
            for (int k = 0; k < 3; k++)
            {
                var h = Enumerable.Range(0, len).Select(_ => random.Next(1, n + 1)).ToArray();
                if (len > 0 && k == 1)
                {
                    h[0] = 1;
                    h[^1] = n;
                }

                if (k == 2)
                {
                    Array.Fill(h, len % 2 == 0 ? 1 : n);
                }

                histories.Add(h);
            }
        }

        float worst = 0f;
        var expected = new float[ort.Dimension];
        var actual = new float[ort.Dimension];
        foreach (int[] h in histories)
        {
            ort.Encode(h, expected);
            actual.AsSpan().Fill(float.NaN);
            managed.Encode(h, actual);
            for (int c = 0; c < expected.Length; c++)
            {
                float diff = Math.Abs(actual[c] - expected[c]);
                diff.Should().BeLessThan(OrtTolerance, $"history of {h.Length} items [{string.Join(' ', h)}], column {c}");
                worst = Math.Max(worst, diff);
            }
        }

        output.WriteLine($"{model}: {histories.Count} histories (lengths 0..{length + 5}), max |managed − ORT| = {worst:G3}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Equals_the_pytorch_fixtures_with_the_same_top10(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        using var ort = OnnxSasRecEncoder.Load(path);
        using var managed = OnnxSasRecEncoder.Load(path, s_managed);
        int d = managed.Dimension;
        var user = new float[d];
        var ortUser = new float[d];
        var logits = new float[managed.ItemCount];
        var ortLogits = new float[managed.ItemCount];
        float worst = 0f;
        foreach (var c in fixtures.Cases)
        {
            managed.Encode(c.History, user);
            for (int k = 0; k < d; k++)
            {
                worst = Math.Max(worst, Math.Abs(user[k] - c.UserEmbedding[k]));
            }

            user.Should().Equal(c.UserEmbedding, (a, b) => Math.Abs(a - b) < PyTorchTolerance, $"case {c.Name}");

            ort.Encode(c.History, ortUser);
            Scores(managed.ItemEmbeddings, user, logits);
            Scores(managed.ItemEmbeddings, ortUser, ortLogits);
            int[] top = Top10(logits);
            top.Should().Equal(Top10(ortLogits), $"case {c.Name}: managed and ORT rank the catalogue alike");
            top.Should().Equal(c.Top10, $"case {c.Name}: the PyTorch top-10");
            foreach (var (id, logit) in c.Logits)
            {
                logits[int.Parse(id, System.Globalization.CultureInfo.InvariantCulture) - 1].Should().BeApproximately(logit, (float)fixtures.Tolerance.LogitAbs);
            }
        }

        output.WriteLine($"{model}: {fixtures.Cases.Length} cases, max |managed − PyTorch| = {worst:G3}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Batches_chunks_and_parallel_chunks_equal_single_calls(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var random = new Random(5);
        using var single = OnnxSasRecEncoder.Load(path, s_managed);
        using var chunked = OnnxSasRecEncoder.Load(path, s_managed with { MaxBatchSize = 7 });
        using var parallel = OnnxSasRecEncoder.Load(path, s_managed with { MaxBatchSize = 4, BatchParallelism = 3 });
        int d = single.Dimension;
        var histories = Enumerable.Range(0, 41)
            .Select(u => (ReadOnlyMemory<int>)Enumerable.Range(0, random.Next(0, single.MaxHistoryLength + 4)).Select(_ => random.Next(1, single.ItemCount + 1)).ToArray())
            .ToArray();
        var expected = new float[histories.Length * d];
        for (int u = 0; u < histories.Length; u++)
        {
            single.Encode(histories[u].Span, expected.AsSpan(u * d, d));
        }

        foreach (var encoder in new[] { single, chunked, parallel })
        {
            var batch = new float[(histories.Length * d) + 3];
            batch.AsSpan(histories.Length * d).Fill(42f);
            encoder.EncodeBatch(histories, batch);
            batch.AsSpan(0, expected.Length).ToArray().Should().Equal(expected);
            batch.AsSpan(expected.Length).ToArray().Should().AllSatisfy(x => x.Should().Be(42f), "nothing past the batch is written");
        }
    }

    [Fact]
    public void Batch_encoding_stops_between_chunks_when_cancelled()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"), s_managed with { MaxBatchSize = 2 });
        var histories = Enumerable.Range(1, 10).Select(u => (ReadOnlyMemory<int>)new[] { u }).ToArray();
        var destination = new float[histories.Length * encoder.Dimension];
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        FluentActions.Invoking(() => encoder.EncodeBatch(histories, destination, cancelled.Token)).Should().Throw<OperationCanceledException>();
        destination.Should().OnlyContain(x => x == 0f, "no chunk ran");

        using var parallel = OnnxSasRecEncoder.Load(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"), s_managed with { MaxBatchSize = 2, BatchParallelism = 2 });
        FluentActions.Invoking(() => parallel.EncodeBatch(histories, destination, cancelled.Token)).Should().Throw<OperationCanceledException>();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Concurrent_calls_from_several_threads_equal_sequential_ones(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        using var encoder = OnnxSasRecEncoder.Load(path, s_managed);
        int d = encoder.Dimension;
        var random = new Random(11);
        var histories = Enumerable.Range(0, 24)
            .Select(_ => Enumerable.Range(0, random.Next(0, encoder.MaxHistoryLength + 3)).Select(_ => random.Next(1, encoder.ItemCount + 1)).ToArray())
            .ToArray();
        var expected = histories.Select(h =>
        {
            var u = new float[d];
            encoder.Encode(h, u);
            return u;
        }).ToArray();

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var user = new float[d];
            for (int round = 0; round < 60; round++)
            {
                int c = (worker * 7 + round) % histories.Length;
                encoder.Encode(histories[c], user);
                if (!user.AsSpan().SequenceEqual(expected[c]))
                {
                    failures.Add($"worker {worker}, round {round}, history {c}");
                }
            }
        });
        failures.Should().BeEmpty();
    }

    [Fact]
    public void Reads_the_same_item_table_as_onnx_runtime_exports()
    {
        string path = OnnxFixtures.FullPath(Path.Combine("Fixtures", "default", "sasrec-default.onnx"));
        if (!File.Exists(path))
        {
            path = OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx");
        }

        using var encoder = OnnxSasRecEncoder.Load(path);
        var weights = SasRecGraphReader.Read(OnnxProtoReader.ReadModel(File.ReadAllBytes(path)), encoder.Metadata);
        weights.ItemEmbedding.Should().Equal(encoder.ItemEmbeddings[0].ToArray().Concat(Enumerable.Range(1, encoder.ItemCount).SelectMany(i => encoder.ItemEmbeddings[i].ToArray())));
        weights.Blocks.Should().HaveCount(int.Parse(encoder.Metadata.Properties["ipg.blocks"], System.Globalization.CultureInfo.InvariantCulture));
        weights.Heads.Should().Be(int.Parse(encoder.Metadata.Properties["ipg.heads"], System.Globalization.CultureInfo.InvariantCulture));
        weights.EmbeddingScale.Should().Be(MathF.Sqrt(encoder.Dimension));
        weights.AttentionScale.Should().BeApproximately(1f / MathF.Sqrt(encoder.Dimension / weights.Heads), 1e-6f);
    }

    [Fact]
    public void Refuses_a_model_it_does_not_recognise_and_points_to_onnx_runtime()
    {
        // mini.onnx follows the contract (ONNX Runtime runs it) but is not a SASRec graph.
        string mini = OnnxFixtures.Broken("mini");
        using (OnnxSasRecEncoder.Load(mini))
        {
        }

        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(mini, s_managed)).Should().Throw<NotSupportedException>()
            .WithMessage("*managed SASRec kernel cannot run*mini.onnx*layout 'test-mini'*SasRecKernel.Auto*");
    }

    [Fact]
    public void Auto_the_default_picks_the_managed_kernel_where_it_reproduces_onnx_runtime_and_says_why_otherwise()
    {
        OnnxSasRecEncoderOptions.Default.Kernel.Should().Be(SasRecKernel.Auto);
        var tiny = OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx");
        using (var managed = OnnxSasRecEncoder.Load(tiny))
        using (var onnx = OnnxSasRecEncoder.Load(tiny, new OnnxSasRecEncoderOptions { Kernel = SasRecKernel.OnnxRuntime }))
        {
            managed.Kernel.Should().Be(SasRecKernel.Managed);
            managed.KernelChoice.Should().Contain("managed kernel (Kernel = Auto)").And.Contain("reproduces ONNX Runtime");
            onnx.Kernel.Should().Be(SasRecKernel.OnnxRuntime);
            var a = new float[managed.Dimension];
            var b = new float[managed.Dimension];
            managed.Encode([3, 1, 4, 1, 5], a);
            onnx.Encode([3, 1, 4, 1, 5], b);
            a.Zip(b, (x, y) => MathF.Abs(x - y)).Max().Should().BeLessThan(1e-4f);
        }

        // A contract model the managed kernel does not recognise falls back to ONNX Runtime, with the reason.
        using (var fallback = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini")))
        {
            fallback.Kernel.Should().Be(SasRecKernel.OnnxRuntime);
            fallback.KernelChoice.Should().StartWith("ONNX Runtime (Kernel = Auto):").And.Contain("layout 'test-mini'").And.NotContain("Use SasRecKernel");
        }

        // A configured session is the application's: Auto keeps ONNX Runtime.
        using (var configured = OnnxSasRecEncoder.Load(tiny, new OnnxSasRecEncoderOptions { ConfigureSession = _ => { } }))
        {
            configured.Kernel.Should().Be(SasRecKernel.OnnxRuntime);
            configured.KernelChoice.Should().Contain("ConfigureSession is set");
        }
    }

    [Theory]
    [InlineData("Fixtures/sasrec-tiny.onnx", "pmixer-v1", "pmixer-v2")]
    [InlineData("Fixtures/sasrec-tiny-v2.onnx", "pmixer-v2", "pmixer-v1")]
    [InlineData("Fixtures/kernel/sasrec-v3-prenorm.onnx", "prenorm", "postnrm")]
    public void Refuses_a_graph_whose_layout_label_does_not_match_it(string model, string label, string wrong)
    {
        byte[] bytes = Relabel(File.ReadAllBytes(OnnxFixtures.FullPath(model)), label, wrong);
        if (wrong == "postnrm")
        {
            // Not a layout name at all: refused by name.
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(bytes, s_managed)).Should().Throw<NotSupportedException>().WithMessage("*layout*postnrm*");
            return;
        }

        using (OnnxSasRecEncoder.Load(bytes))
        {
        }

        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(bytes, s_managed)).Should().Throw<NotSupportedException>()
            .WithMessage("*managed SASRec kernel cannot run*position rows*SasRecKernel.OnnxRuntime*");
    }

    [Fact]
    public void A_kernel_that_does_not_reproduce_onnx_runtime_is_refused()
    {
        string path = OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx");
        using var ort = OnnxSasRecEncoder.Load(path);
        byte[] bytes = File.ReadAllBytes(path);

        // The real reference passes ...
        ManagedSasRecKernelLoader.Create(bytes, ort.Metadata, ort.Encode, "(test)").Should().NotBeNull();

        // ... a reference that differs by 1e-3 on one column of long histories does not.
        void Perturbed(ReadOnlySpan<int> history, Span<float> destination)
        {
            ort.Encode(history, destination);
            if (history.Length >= ort.MaxHistoryLength)
            {
                destination[3] += 1e-3f;
            }
        }

        FluentActions.Invoking(() => ManagedSasRecKernelLoader.Create(bytes, ort.Metadata, Perturbed, "(test)")).Should().Throw<NotSupportedException>()
            .WithMessage("*does not reproduce ONNX Runtime*(test)*differ by up to*SasRecKernel.OnnxRuntime*");
    }

    /// <summary>
    /// The per-thread workspace is shared by every kernel that runs on a thread. A model whose values overflow
    /// (here: value weights scaled to 1e38, refused at load by the check, but only after it ran) leaves
    /// infinities in the transposed-value columns past a short history; the attention weights those columns by
    /// exactly 0, and 0 × ∞ is NaN. The next model encoded on the thread must not see them (it did: CI, #18).
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void A_previous_kernels_overflow_does_not_leak_into_the_next_one_on_the_thread(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        using var ort = OnnxSasRecEncoder.Load(path);
        byte[] bytes = File.ReadAllBytes(path);
        var poisoned = SasRecGraphReader.Read(OnnxProtoReader.ReadModel(bytes), ort.Metadata);
        foreach (var block in poisoned.Blocks)
        {
            TensorPrimitives.Multiply(block.Value.Weight, 1e38f, block.Value.Weight);
            TensorPrimitives.Multiply(block.Value.Bias, 1e38f, block.Value.Bias);
        }

        var overflowing = new ManagedSasRecKernel(poisoned);
        var scratch = new float[ort.Dimension];
        overflowing.Encode([.. Enumerable.Range(1, ort.MaxHistoryLength).Select(i => 1 + (i % ort.ItemCount))], scratch);
        scratch.Should().Contain(v => !float.IsFinite(v), "the poisoned model overflows, so the workspace now holds non-finite values");

        var kernel = new ManagedSasRecKernel(SasRecGraphReader.Read(OnnxProtoReader.ReadModel(bytes), ort.Metadata));
        var expected = new float[ort.Dimension];
        var actual = new float[ort.Dimension];
        foreach (int[] history in new[] { new[] { 1 }, [ort.ItemCount, 1], [1, 2, 3] })
        {
            ort.Encode(history, expected);
            kernel.Encode(history, actual);
            actual.Should().OnlyContain(v => float.IsFinite(v), $"history [{string.Join(",", history)}]");
            TensorPrimitives.MaxMagnitude(Diff(actual, expected)).Should().BeLessThan(OrtTolerance * Math.Max(1f, TensorPrimitives.MaxMagnitude(expected)));
        }

        static float[] Diff(float[] a, float[] b)
        {
            var diff = new float[a.Length];
            TensorPrimitives.Subtract(a, b, diff);
            return diff;
        }
    }

    [Fact]
    public void Truncated_protobuf_is_reported_as_invalid_data()
    {
        byte[] bytes = File.ReadAllBytes(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"));
        FluentActions.Invoking(() => OnnxProtoReader.ReadModel(bytes.AsSpan(0, bytes.Length / 2))).Should().Throw<InvalidDataException>().WithMessage("*not valid protobuf*");
    }

    [Fact]
    public void Options_default_to_auto_and_reject_an_undefined_kernel()
    {
        OnnxSasRecEncoderOptions.Default.Kernel.Should().Be(SasRecKernel.Auto);
        FluentActions.Invoking(() => new OnnxSasRecEncoderOptions { Kernel = (SasRecKernel)7 }.Validate())
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Kernel");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"), new OnnxSasRecEncoderOptions { Kernel = (SasRecKernel)7 }))
            .Should().Throw<ArgumentOutOfRangeException>();
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"), s_managed);
        encoder.Options.Kernel.Should().Be(SasRecKernel.Managed);
        encoder.Kernel.Should().Be(SasRecKernel.Managed);
    }

    [Fact]
    public async Task Loads_managed_from_bytes_streams_and_asynchronously_with_the_same_results()
    {
        string path = OnnxFixtures.FullPath("Fixtures/sasrec-tiny-v2.onnx");
        using var fromFile = OnnxSasRecEncoder.Load(path, s_managed);
        using var fromBytes = OnnxSasRecEncoder.Load(File.ReadAllBytes(path), s_managed);
        await using var stream = File.OpenRead(path);
        using var fromStream = await OnnxSasRecEncoder.LoadAsync(stream, s_managed);
        int[] history = [5, 9, 2, 77, 100, 1];
        var a = new float[fromFile.Dimension];
        var b = new float[fromFile.Dimension];
        var c = new float[fromFile.Dimension];
        fromFile.Encode(history, a);
        fromBytes.Encode(history, b);
        fromStream.Encode(history, c);
        b.Should().Equal(a);
        c.Should().Equal(a);
    }

    [Fact]
    public void Validates_ids_and_destination_like_the_onnx_runtime_path()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.FullPath("Fixtures/sasrec-tiny.onnx"), s_managed);
        var user = new float[encoder.Dimension];
        FluentActions.Invoking(() => encoder.Encode([1, encoder.ItemCount + 1], user)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => encoder.Encode([0], user)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => encoder.Encode([1], new float[encoder.Dimension - 1])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => encoder.EncodeBatch([new[] { 1 }, new[] { -3 }], new float[2 * encoder.Dimension])).Should().Throw<ArgumentOutOfRangeException>();
        encoder.Dispose();
        FluentActions.Invoking(() => encoder.Encode([1], user)).Should().Throw<ObjectDisposedException>();
    }

    internal static void Scores(ItemEmbeddingTable items, float[] user, float[] logits)
    {
        for (int i = 1; i <= items.ItemCount; i++)
        {
            logits[i - 1] = System.Numerics.Tensors.TensorPrimitives.Dot(items[i], user);
        }
    }

    internal static int[] Top10(float[] logits)
        => [.. Enumerable.Range(1, logits.Length).OrderByDescending(i => logits[i - 1]).ThenBy(i => i).Take(10)];

    /// <summary>Replaces the last occurrence of an ASCII string by another of the same length (a metadata value).</summary>
    private static byte[] Relabel(byte[] model, string from, string to)
    {
        from.Length.Should().Be(to.Length);
        byte[] pattern = System.Text.Encoding.ASCII.GetBytes(from);
        int at = model.AsSpan().LastIndexOf(pattern); // metadata_props come last
        at.Should().BeGreaterThanOrEqualTo(0);
        byte[] copy = (byte[])model.Clone();
        System.Text.Encoding.ASCII.GetBytes(to).CopyTo(copy, at);
        return copy;
    }
}
