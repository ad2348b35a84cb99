using System.Numerics.Tensors;
using Ipg.Encoders;
using Xunit.Abstractions;

namespace Ipg.Tests.Encoders;

public class OnnxSasRecEncoderTests(ITestOutputHelper output)
{
    /// <summary>The parity bound the brief sets for ORT against PyTorch (the fixtures allow 1e-4).</summary>
    private const float UserTolerance = 1e-5f;

    public static TheoryData<string> Models => OnnxFixtures.Models();

    // ---- Parity with the PyTorch golden fixtures -------------------------------------------------

    [Theory]
    [MemberData(nameof(Models))]
    public void User_embeddings_match_pytorch(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        using var encoder = OnnxSasRecEncoder.Load(path);
        float maxDiff = MaxUserDifference(encoder, fixtures);
        output.WriteLine($"{model}: {fixtures.Cases.Length} cases, max |ORT − PyTorch| = {maxDiff:G3}");
        maxDiff.Should().BeLessThan(UserTolerance);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Item_table_rows_equal_pytorch(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        using var encoder = OnnxSasRecEncoder.Load(path);
        encoder.ItemEmbeddings.ItemCount.Should().Be(fixtures.ItemCount);
        encoder.ItemEmbeddings.Dimension.Should().Be(fixtures.HiddenSize);
        fixtures.ItemEmbeddingRows.Should().NotBeEmpty();
        foreach (var (id, row) in fixtures.ItemEmbeddingRows)
        {
            encoder.ItemEmbeddings[int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)].ToArray()
                .Should().Equal(row, $"row {id} is the exported table itself");
        }

        encoder.ItemEmbeddings[0].ToArray().Should().OnlyContain(v => v == 0f, "row 0 is the padding embedding");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Top10_and_logits_match_pytorch(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        using var encoder = OnnxSasRecEncoder.Load(path);
        var user = new float[encoder.Dimension];
        var logits = new float[encoder.ItemCount + 1];
        int swaps = 0;
        foreach (var c in fixtures.Cases)
        {
            encoder.Encode(c.History, user);
            for (int i = 1; i <= encoder.ItemCount; i++)
            {
                logits[i] = TensorPrimitives.Dot(user, encoder.ItemEmbeddings[i]);
            }

            foreach (var (id, expected) in c.Logits)
            {
                logits[int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)]
                    .Should().BeApproximately(expected, 1e-4f, $"case {c.Name}, logit of item {id}");
            }

            var top = Enumerable.Range(1, encoder.ItemCount).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(10).ToArray();
            for (int k = 0; k < 10; k++)
            {
                // Equal ids, or (the fixtures' stated allowance) a swap of two logits closer than logit_abs.
                if (top[k] != c.Top10[k])
                {
                    Math.Abs(logits[top[k]] - logits[c.Top10[k]]).Should().BeLessThan(
                        (float)fixtures.Tolerance.LogitAbs, $"case {c.Name}: rank {k} is {top[k]} here and {c.Top10[k]} in PyTorch");
                }
            }

            swaps += top.Where((id, k) => id != c.Top10[k]).Count();
        }

        output.WriteLine($"{model}: top-10 positions that differ from PyTorch (near-ties only): {swaps}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Metadata_agrees_with_the_fixtures(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        using var encoder = OnnxSasRecEncoder.Load(path);
        var meta = encoder.Metadata;
        meta.ContractVersion.Should().Be(1);
        meta.MaxLength.Should().Be(fixtures.MaxLength);
        meta.HiddenSize.Should().Be(fixtures.HiddenSize);
        meta.ItemCount.Should().Be(fixtures.ItemCount);
        meta.Layout.Should().Be(fixtures.Layout);
        meta.PositionConvention.Should().Be(fixtures.PositionConvention);
        meta.TrainingLogSha256.Should().Be(fixtures.TrainingLogSha256);
        meta.Producer.Should().NotBeEmpty();
        meta.Properties.Should().ContainKey("ipg.contract");
        encoder.MaxHistoryLength.Should().Be(fixtures.MaxLength);
        encoder.Dimension.Should().Be(fixtures.HiddenSize);
        encoder.ItemCount.Should().Be(fixtures.ItemCount);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Rows_are_truncated_and_left_padded_as_the_fixtures_feed_pytorch(string model)
    {
        var fixtures = OnnxFixtures.Read(OnnxFixtures.FullPath(model));
        fixtures.Cases.Should().Contain(c => c.History.Length > fixtures.MaxLength, "the fixtures exercise truncation");
        fixtures.Cases.Should().Contain(c => c.History.Length == 0, "the fixtures exercise the empty history");
        var row = new long[fixtures.MaxLength];
        foreach (var c in fixtures.Cases)
        {
            Ipg.Encoders.Onnx.OnnxRuntimeForward.WriteRow(c.History, row);
            row.Should().Equal(c.InputIds, $"case {c.Name}");
        }
    }

    /// <summary>Every committed model under both engines (a sharded run by user ranges needs batch-independent encodings).</summary>
    public static TheoryData<string, SasRecKernel> ModelsAndEngines()
    {
        var data = new TheoryData<string, SasRecKernel>();
        foreach (string name in new[] { "sasrec-tiny.onnx", "sasrec-tiny-v2.onnx" })
        {
            string model = Path.Combine("Fixtures", name);
            data.Add(model, SasRecKernel.OnnxRuntime);
            data.Add(model, SasRecKernel.Auto);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModelsAndEngines))]
    public void Batches_in_chunks_equal_single_calls(string model, SasRecKernel kernel)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        var histories = fixtures.Cases.Select(c => (ReadOnlyMemory<int>)c.History).ToArray();
        int chunk = histories.Length % 4 != 0 ? 4 : 5; // several chunks and a partial one
        histories.Length.Should().BeGreaterThan(2 * chunk);
        // Bit for bit: a user's encoding must not depend on the other users in its batch (docs/distributed.md).
        using var encoder = OnnxSasRecEncoder.Load(path, new OnnxSasRecEncoderOptions { MaxBatchSize = chunk, Kernel = kernel });
        int d = encoder.Dimension;
        var batch = new float[histories.Length * d];
        encoder.EncodeBatch(histories, batch);

        var single = new float[d];
        for (int u = 0; u < histories.Length; u++)
        {
            encoder.Encode(histories[u].Span, single);
            batch.AsSpan(u * d, d).ToArray().Should().Equal(single, (a, b) => a == b, $"user {u} ({fixtures.Cases[u].Name})");
            single.Should().Equal(fixtures.Cases[u].UserEmbedding, (a, b) => Math.Abs(a - b) < UserTolerance);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Chunks_run_in_parallel_give_the_sequential_result(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        var random = new Random(3);
        var histories = Enumerable.Range(0, 97)
            .Select(u => (ReadOnlyMemory<int>)fixtures.Cases[u % fixtures.Cases.Count()].History.AsEnumerable().Reverse().Take(random.Next(0, 40)).ToArray())
            .ToArray();
        using var sequential = OnnxSasRecEncoder.Load(path, new OnnxSasRecEncoderOptions { MaxBatchSize = 8 });
        using var parallel = OnnxSasRecEncoder.Load(path, new OnnxSasRecEncoderOptions { MaxBatchSize = 8, BatchParallelism = 3 });
        int d = sequential.Dimension;
        var a = new float[histories.Length * d];
        var b = new float[(histories.Length * d) + 5];
        b.AsSpan(histories.Length * d).Fill(42f);

        sequential.EncodeBatch(histories, a);
        parallel.EncodeBatch(histories, b);

        b.AsSpan(0, a.Length).ToArray().Should().Equal(a);
        b.AsSpan(a.Length).ToArray().Should().AllSatisfy(x => x.Should().Be(42f), "nothing past the batch is written");
        FluentActions.Invoking(() => new OnnxSasRecEncoderOptions { BatchParallelism = 0 }.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("BatchParallelism");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Concurrent_calls_from_several_threads_give_identical_results(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        using var encoder = OnnxSasRecEncoder.Load(path);
        int d = encoder.Dimension;
        var expected = fixtures.Cases.Select(c =>
        {
            var u = new float[d];
            encoder.Encode(c.History, u);
            return u;
        }).ToArray();
        var histories = fixtures.Cases.Select(c => (ReadOnlyMemory<int>)c.History).ToArray();
        var expectedBatch = new float[histories.Length * d];
        encoder.EncodeBatch(histories, expectedBatch);

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var user = new float[d];
            var batch = new float[histories.Length * d];
            for (int round = 0; round < 25; round++)
            {
                int c = (worker + round) % fixtures.Cases.Length;
                encoder.Encode(fixtures.Cases[c].History, user);
                if (!user.AsSpan().SequenceEqual(expected[c]))
                {
                    failures.Add($"worker {worker}, round {round}, case {fixtures.Cases[c].Name}");
                }

                if (round % 5 == 0)
                {
                    encoder.EncodeBatch(histories, batch);
                    if (!batch.AsSpan().SequenceEqual(expectedBatch))
                    {
                        failures.Add($"worker {worker}, round {round}, batch");
                    }
                }
            }
        });
        failures.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Reranker_over_onnx_equals_reranker_over_an_in_memory_encoder_fed_pytorch_users(string model)
    {
        string path = OnnxFixtures.FullPath(model);
        var fixtures = OnnxFixtures.Read(path);
        using var onnx = OnnxSasRecEncoder.Load(path);
        var fixtureCase = fixtures.Cases.First(c => c.History.Length > fixtures.MaxLength);
        var pytorchUser = fixtureCase.UserEmbedding;
        var inMemory = new InMemoryEncoder(onnx.ItemEmbeddings, onnx.MaxHistoryLength, (_, _, destination) => pytorchUser.CopyTo(destination));

        var overOnnx = new IpgReranker(onnx, TestData.LinearFallback);
        var overInMemory = new IpgReranker(inMemory, TestData.LinearFallback);
        var target = overOnnx.PrepareTarget(fixtureCase.Top10[^1] == 1 ? 2 : 1);
        int[] seen = fixtureCase.History.Distinct().ToArray();

        var a = overOnnx.Recommend(fixtureCase.History, target, 10, seen);
        var b = overInMemory.Recommend(fixtureCase.History, target, 10, seen);

        a.Should().HaveCount(10);
        a.Select(e => e.ItemId).Should().OnlyHaveUniqueItems().And.NotIntersectWith(seen).And.OnlyContain(id => id >= 1 && id <= onnx.ItemCount);
        // The default policy (AccuracyFallback): guiding candidates (g > 0) by r = p̂·g, then the rest by p̂.
        int guiding = a.TakeWhile(e => e.Guidance > 0f).Count();
        a.Skip(guiding).Count(e => e.Guidance > 0f).Should().Be(0, "the fallback tier (possibly empty) holds only non-guiding candidates");
        a.Take(guiding).Select(e => e.Score).Should().BeInDescendingOrder();
        a.Skip(guiding).Select(e => e.Probability).Should().BeInDescendingOrder();
        a.Should().OnlyContain(e => float.IsFinite(e.Score) && e.Probability > 0f && e.Probability < 1f);
        a.Select(e => e.ItemId).Should().Equal(b.Select(e => e.ItemId));
        for (int k = 0; k < a.Length; k++)
        {
            a[k].Score.Should().BeApproximately(b[k].Score, 1e-5f);
            a[k].Probability.Should().BeApproximately(b[k].Probability, 1e-5f);
        }
    }

    [OnnxExternalFixturesFact]
    public void External_ml1m_model_matches_pytorch()
    {
        // FullPath keeps an absolute path as it is, so the theories run unchanged on the external models:
        // the stock pmixer checkpoint and our own trainer's ML-1M model, whichever the folder holds.
        string folder = OnnxFixtures.ExternalFolder()!;
        var paths = new[] { OnnxFixtures.ExternalModel, "ml1m-ours.onnx" }
            .Select(name => Path.Combine(folder, name))
            .Where(p => File.Exists(p) && File.Exists(Path.ChangeExtension(p, ".fixtures.json")))
            .ToList();
        paths.Should().NotBeEmpty();
        foreach (string path in paths)
        {
            CheckExternal(path);
        }
    }

    private void CheckExternal(string path)
    {
        User_embeddings_match_pytorch(path);
        Item_table_rows_equal_pytorch(path);
        Top10_and_logits_match_pytorch(path);
        Metadata_agrees_with_the_fixtures(path);
        Rows_are_truncated_and_left_padded_as_the_fixtures_feed_pytorch(path);
        Batches_in_chunks_equal_single_calls(path, SasRecKernel.OnnxRuntime);
        Batches_in_chunks_equal_single_calls(path, SasRecKernel.Auto);
        Reranker_over_onnx_equals_reranker_over_an_in_memory_encoder_fed_pytorch_users(path);
    }

    // ---- Behaviour on the hand-checkable mini model (Fixtures/broken/mini.onnx, make_broken.py) ---

    [Fact]
    public void Mini_model_keeps_the_most_recent_items_and_pads_on_the_left()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"));
        encoder.MaxHistoryLength.Should().Be(3);
        encoder.Dimension.Should().Be(4);
        encoder.ItemCount.Should().Be(5);
        var user = new float[4];

        encoder.Encode([], user);
        user.Should().Equal(0f, 0f, 0f, 0f);

        encoder.Encode([2], user); // row [0, 0, 2]: 100 · table[2]
        user.Should().Equal(MiniUser(0, 0, 2));

        encoder.Encode([4, 5], user); // row [0, 4, 5]
        user.Should().Equal(MiniUser(0, 4, 5));

        encoder.Encode([1, 2, 3, 4, 5], user); // truncated to [3, 4, 5]
        user.Should().Equal(MiniUser(3, 4, 5));

        var wide = new float[6];
        wide.AsSpan().Fill(7f);
        encoder.Encode([1], wide);
        wide.Should().Equal([.. MiniUser(0, 0, 1), 7f, 7f], "only the first d values of a longer destination are written");
    }

    [Fact]
    public void Mini_model_batches_mix_lengths_and_handle_an_empty_list()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"), new OnnxSasRecEncoderOptions { MaxBatchSize = 2 });
        var histories = new ReadOnlyMemory<int>[] { new[] { 1, 2, 3, 4 }, Array.Empty<int>(), new[] { 5 }, new[] { 2, 2 }, new[] { 1 } };
        var batch = new float[5 * 4];
        encoder.EncodeBatch(histories, batch);
        batch.Should().Equal([.. MiniUser(2, 3, 4), .. MiniUser(0, 0, 0), .. MiniUser(0, 0, 5), .. MiniUser(0, 2, 2), .. MiniUser(0, 0, 1)]);

        encoder.EncodeBatch([], Span<float>.Empty);
    }

    [Fact]
    public async Task Loads_from_bytes_streams_and_asynchronously_with_the_same_results()
    {
        string path = OnnxFixtures.Broken("mini");
        byte[] bytes = File.ReadAllBytes(path);
        var noWarmup = new OnnxSasRecEncoderOptions { Warmup = false, IntraOpThreads = 2, InterOpThreads = 2 };
        using var fromPath = OnnxSasRecEncoder.Load(path);
        using var fromBytes = OnnxSasRecEncoder.Load(bytes, noWarmup);
        using var stream = new MemoryStream(bytes);
        using var fromStream = OnnxSasRecEncoder.Load(stream);
        using var asyncStream = new MemoryStream(bytes);
        using var fromAsync = await OnnxSasRecEncoder.LoadAsync(asyncStream, OnnxSasRecEncoderOptions.Default, CancellationToken.None);

        fromBytes.Options.Should().Be(noWarmup);
        foreach (var encoder in new[] { fromPath, fromBytes, fromStream, fromAsync })
        {
            var user = new float[4];
            encoder.Encode([3, 1], user);
            user.Should().Equal(MiniUser(0, 3, 1));
            encoder.ItemEmbeddings.Rows.ToArray().Should().Equal(fromPath.ItemEmbeddings.Rows.ToArray());
        }
    }

    [Fact]
    public async Task LoadAsync_honours_cancellation()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        using var stream = new MemoryStream(File.ReadAllBytes(OnnxFixtures.Broken("mini")));
        await FluentActions.Awaiting(() => OnnxSasRecEncoder.LoadAsync(stream, null, cts.Token)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public void Batch_encoding_stops_between_chunks_when_cancelled()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"), new OnnxSasRecEncoderOptions { MaxBatchSize = 1 });
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var destination = new float[8];
        destination.AsSpan().Fill(9f);
        FluentActions.Invoking(() => encoder.EncodeBatch([new[] { 1 }, new[] { 2 }], destination, cts.Token))
            .Should().Throw<OperationCanceledException>();
        destination.Should().OnlyContain(v => v == 9f, "nothing ran");
    }

    [Fact]
    public void Validates_arguments_without_touching_the_destination()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"));
        FluentActions.Invoking(() => encoder.Encode([1, 0], new float[4])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("history");
        FluentActions.Invoking(() => encoder.Encode([6], new float[4])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("history")
            .WithMessage("*6*1..5*");
        FluentActions.Invoking(() => encoder.Encode([-1], new float[4])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("history");
        FluentActions.Invoking(() => encoder.Encode([1], new float[3])).Should().Throw<ArgumentException>().WithParameterName("destination");
        FluentActions.Invoking(() => encoder.EncodeBatch(null!, new float[4])).Should().Throw<ArgumentNullException>().WithParameterName("histories");
        FluentActions.Invoking(() => encoder.EncodeBatch([new[] { 1 }, new[] { 2 }], new float[7])).Should().Throw<ArgumentException>().WithParameterName("destination");

        var destination = new float[8];
        destination.AsSpan().Fill(9f);
        FluentActions.Invoking(() => encoder.EncodeBatch([new[] { 1 }, new[] { 2, 0 }], destination)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("histories").WithMessage("History 1: item id at position 1 is 0*");
        destination.Should().OnlyContain(v => v == 9f, "every history is validated before anything runs");
    }

    [Fact]
    public void Every_member_throws_after_dispose_and_dispose_is_idempotent()
    {
        var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"));
        encoder.Dispose();
        encoder.Dispose();
        var user = new float[4];
        FluentActions.Invoking(() => encoder.Encode([1], user)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.EncodeBatch([new[] { 1 }], user)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.Warmup()).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.ComputeProbabilities([0f], user)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.ItemCount).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.Dimension).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.MaxHistoryLength).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.ItemEmbeddings).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.Metadata).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => encoder.Options).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task Dispose_while_calls_run_lets_them_finish_and_refuses_new_ones()
    {
        string path = OnnxFixtures.FullPath(Path.Combine("Fixtures", "sasrec-tiny.onnx"));
        var fixtures = OnnxFixtures.Read(path);
        var encoder = OnnxSasRecEncoder.Load(path);
        int d = encoder.Dimension;
        var expected = fixtures.Cases.Select(c =>
        {
            var u = new float[d];
            encoder.Encode(c.History, u);
            return u;
        }).ToArray();
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var started = new CountdownEvent(4);
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var user = new float[d];
            started.Signal();
            for (int round = 0; round < 2000; round++)
            {
                int c = (w + round) % fixtures.Cases.Length;
                try
                {
                    encoder.Encode(fixtures.Cases[c].History, user);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                if (!user.AsSpan().SequenceEqual(expected[c]))
                {
                    wrong.Add($"worker {w}, round {round}");
                }
            }
        })).ToArray();

        started.Wait();
        encoder.Dispose();
        await Task.WhenAll(workers);
        wrong.Should().BeEmpty("a call that started before Dispose runs on a live session");
        FluentActions.Invoking(() => encoder.Encode([1], new float[d])).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Probabilities_are_the_sigmoid()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"));
        var p = new float[3];
        ((ISequentialEncoder)encoder).ComputeProbabilities([0f, 2f, -1f], p);
        p.Should().Equal([0.5f, 0.880797f, 0.268941f], (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    // ---- Contract 2: a per-item output bias and a softmax acceptance (Fixtures/broken/mini-v2-bias-softmax.onnx) ----

    [Fact]
    public void A_contract_2_model_scores_with_its_bias_and_normalises_with_its_softmax()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini-v2-bias-softmax"));
        encoder.Metadata.ContractVersion.Should().Be(2);
        encoder.Metadata.Acceptance.Should().Be(AcceptanceFunction.Softmax);
        var items = encoder.ItemEmbeddings;
        items.HasBiases.Should().BeTrue();
        items.Biases.ToArray().Should().Equal(0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f);

        // user = 1·e_a + 10·e_b + 100·e_c for the history [a, b, c]; e_i = [i, i/2, -i, 1]
        var user = new float[4];
        encoder.Encode([1, 2, 3], user);
        user.Should().Equal(321f, 160.5f, -321f, 111f);

        // The re-ranker's base ranking (λ = 0) orders by u·e_i + b_i: with u·e_i = 883.25·i the bias cannot reorder,
        // so check the logits themselves through p̂ = softmax(logits) over the candidates.
        var p = new float[3];
        float[] logits = [0f, 1f, 2f];
        encoder.ComputeProbabilities(logits, p);
        double z = 1 + Math.E + (Math.E * Math.E);
        p.Should().Equal([(float)(1 / z), (float)(Math.E / z), (float)(Math.E * Math.E / z)], (x, y) => Math.Abs(x - y) < 1e-6f);
        p.Sum().Should().BeApproximately(1f, 1e-6f);
    }

    [Fact]
    public void The_bias_enters_the_logits_the_reranker_ranks_and_the_softmax_spans_the_catalogue()
    {
        // An empty history encodes to u = 0 (padding rows are zero), so the logits are the biases i / 10 alone.
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini-v2-bias-softmax"));
        var reranker = new IpgReranker(encoder);
        var target = GuidanceTarget.Create(encoder.ItemEmbeddings, 1);
        var top = reranker.Recommend([], target, 5, strength: 0f);
        top.Select(r => r.ItemId).Should().Equal(5, 4, 3, 2, 1);
        double z = Enumerable.Range(1, 5).Sum(i => Math.Exp(i / 10.0));
        foreach (var r in top)
        {
            r.Probability.Should().BeApproximately((float)(Math.Exp(r.ItemId / 10.0) / z), 1e-6f, $"item {r.ItemId}");
        }
    }

    [Fact]
    public void A_contract_1_model_is_still_sigmoid_and_unbiased()
    {
        using var encoder = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"));
        encoder.Metadata.ContractVersion.Should().Be(1);
        encoder.Metadata.Acceptance.Should().Be(AcceptanceFunction.Sigmoid);
        encoder.ItemEmbeddings.HasBiases.Should().BeFalse();
        encoder.ItemEmbeddings.Biases.IsEmpty.Should().BeTrue();
    }

    // ---- Refusing models and inputs ----------------------------------------------------------------

    public static TheoryData<string, string> BrokenModels => new()
    {
        { "missing-input", "input 'item_ids' is missing (the model's inputs are 'ids')" },
        { "extra-input", "the contract has exactly one input, 'item_ids'; the model also needs 'positions'" },
        { "input-int32", "'item_ids' has element type Int32; the contract requires Int64" },
        { "input-fixed-batch", "'item_ids' has a fixed size 1 in axis 0 [1, 3]; the contract requires a dynamic batch axis" },
        { "input-wrong-length", "'item_ids' has size 4 in axis 1 [batch, 4]; the metadata says 3" },
        { "missing-user-output", "output 'user_embedding' is missing (the model's outputs are 'item_embeddings', 'user')" },
        { "missing-items-output", "output 'item_embeddings' is missing" },
        { "user-float64", "'user_embedding' has element type Double; the contract requires Float" },
        { "user-rank3", "'user_embedding' has rank 3 [batch, 1, 4]; the contract requires rank 2" },
        { "hidden-size-mismatch", "'user_embedding' has size 4 in axis 1 [batch, 4]; the metadata says 8" },
        { "item-count-static-mismatch", "'item_embeddings' has size 6 in axis 0 [6, 4]; the metadata says 7" },
        { "item-table-rows-mismatch", "'item_embeddings' has size 7 in axis 0 [7, 4]; the metadata says 6 [ipg.item_count + 1, ipg.hidden_size]" },
        { "no-metadata", "metadata key 'ipg.contract' is missing, so this is not an Ipg SASRec export (found keys: none)" },
        { "missing-max-length", "metadata key 'ipg.max_length' is missing" },
        { "unparsable-item-count", "metadata 'ipg.item_count' is 'ten', not a positive integer" },
        { "contract-v3", "metadata 'ipg.contract' is 3; this encoder reads contract versions 1 and 2" },
        { "v2-missing-acceptance", "metadata key 'ipg.acceptance' is missing; contract 2 requires it ('sigmoid' or 'softmax')" },
        { "v2-unknown-acceptance", "metadata 'ipg.acceptance' is 'tanh'; it must be 'sigmoid' or 'softmax'" },
        { "v1-softmax", "metadata 'ipg.acceptance' is 'softmax', but 'ipg.contract' is 1: contract 1 is sigmoid only" },
        { "v1-with-bias", "output 'item_bias' is a contract-2 output, but 'ipg.contract' is 1" },
        { "v2-bias-wrong-length", "'item_bias' has size 5 in axis 0 [5]; the metadata says 6 [ipg.item_count + 1]" },
        { "padding-right", "metadata 'ipg.padding_side' is 'right'; this encoder supports 'left' only" },
        { "missing-producer", "metadata key 'ipg.producer' is missing" },
    };

    [Theory]
    [MemberData(nameof(BrokenModels))]
    public void Refuses_a_model_that_breaks_the_contract_saying_what_is_wrong(string name, string what)
    {
        string path = OnnxFixtures.Broken(name);
        File.Exists(path).Should().BeTrue();
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(path)).Should().Throw<InvalidDataException>()
            .WithMessage($"The ONNX model '{path}' breaks the Ipg encoder contract (docs/onnx-contract.md): {what}*");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(File.ReadAllBytes(path))).Should().Throw<InvalidDataException>()
            .WithMessage($"*(from a byte array)*{what}*");
    }

    [Fact]
    public void Refuses_an_item_count_the_caller_does_not_expect()
    {
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"), new OnnxSasRecEncoderOptions { ExpectedItemCount = 6 }))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("The caller expects 6 items*ipg.item_count = 5*");
        using var ok = OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"), new OnnxSasRecEncoderOptions { ExpectedItemCount = 5 });
        ok.ItemCount.Should().Be(5);
    }

    [Fact]
    public void Refuses_missing_empty_truncated_and_non_onnx_files()
    {
        string folder = Directory.CreateTempSubdirectory("ipg-onnx-").FullName;
        try
        {
            string missing = Path.Combine(folder, "missing.onnx");
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(missing)).Should().Throw<FileNotFoundException>().Which.FileName.Should().Be(missing);

            string empty = Path.Combine(folder, "empty.onnx");
            File.WriteAllBytes(empty, []);
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(empty)).Should().Throw<InvalidDataException>().WithMessage("*empty*");
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(Array.Empty<byte>())).Should().Throw<InvalidDataException>().WithMessage("*empty (0 bytes)*");
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(new MemoryStream())).Should().Throw<InvalidDataException>().WithMessage("*(from a stream) is empty*");

            string text = Path.Combine(folder, "text.onnx");
            File.WriteAllText(text, "this is not an ONNX model, just some text\n");
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(text)).Should().Throw<InvalidDataException>()
                .WithMessage($"The ONNX model '{text}' could not be loaded by ONNX Runtime*").WithInnerException<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>();

            byte[] tiny = File.ReadAllBytes(OnnxFixtures.FullPath(Path.Combine("Fixtures", "sasrec-tiny.onnx")));
            string truncated = Path.Combine(folder, "truncated.onnx");
            File.WriteAllBytes(truncated, tiny[..(tiny.Length / 2)]);
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(truncated)).Should().Throw<InvalidDataException>()
                .WithMessage("*could not be loaded by ONNX Runtime*");
            FluentActions.Invoking(() => OnnxSasRecEncoder.Load(tiny[..(tiny.Length / 2)])).Should().Throw<InvalidDataException>()
                .WithMessage("*(from a byte array) could not be loaded*");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Validates_load_arguments()
    {
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load((string)null!)).Should().Throw<ArgumentNullException>().WithParameterName("path");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load("")).Should().Throw<ArgumentException>().WithParameterName("path");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load((byte[])null!)).Should().Throw<ArgumentNullException>().WithParameterName("model");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load((Stream)null!)).Should().Throw<ArgumentNullException>().WithParameterName("stream");
        using var unreadable = new UnreadableStream();
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(unreadable)).Should().Throw<ArgumentException>().WithParameterName("stream");
        FluentActions.Invoking(() => OnnxSasRecEncoder.Load(OnnxFixtures.Broken("mini"), new OnnxSasRecEncoderOptions { MaxBatchSize = 0 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("MaxBatchSize");
    }

    private static float MaxUserDifference(OnnxSasRecEncoder encoder, SasRecFixtures fixtures)
    {
        var user = new float[encoder.Dimension];
        float maxDiff = 0f;
        foreach (var c in fixtures.Cases)
        {
            c.UserEmbedding.Should().HaveCount(encoder.Dimension);
            encoder.Encode(c.History, user);
            for (int k = 0; k < user.Length; k++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(user[k] - c.UserEmbedding[k]));
            }
        }

        return maxDiff;
    }

    /// <summary>The mini model's user for a padded row [a, b, c]: Σ w_k · table[id_k], w = [1, 10, 100], table[i] = [i, i/2, −i, 1] (0 for padding).</summary>
    private static float[] MiniUser(int a, int b, int c)
    {
        var user = new float[4];
        int[] row = [a, b, c];
        float[] w = [1f, 10f, 100f];
        for (int k = 0; k < 3; k++)
        {
            if (row[k] != 0)
            {
                user[0] += w[k] * row[k];
                user[1] += w[k] * (row[k] / 2f);
                user[2] += w[k] * -row[k];
                user[3] += w[k];
            }
        }

        return user;
    }

    private sealed class UnreadableStream : MemoryStream
    {
        public override bool CanRead => false;
    }
}
