using Ipg.Encoders;
using Ipg.Guidance;
using Ipg.Tests.Shared;

namespace Ipg.Tests;

/// <summary>
/// The compact item table (int8 rows, a scale per row) and the two-stage catalogue path it enables: an approximate
/// key for every item from int8 logits, a shortlist of M by that key, an exact fp32 re-score of the shortlist.
/// </summary>
public class CompactItemTableTests
{
    public static TheoryData<int, int> KernelShapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int d in new[] { 8, 16, 24, 48, 64, 128, 5, 12 })
        {
            foreach (int n in new[] { 1, 7, 8, 9, 17, 64 })
            {
                data.Add(n, d);
            }
        }

        return data;
    }

    [Fact]
    public void Quantisation_keeps_every_component_within_half_a_step_and_states_its_size()
    {
        var items = TestData.RandomTable(300, 48, seed: 3);
        var compact = new CompactItemTable(items);

        compact.Source.Should().BeSameAs(items);
        compact.ItemCount.Should().Be(300);
        compact.Dimension.Should().Be(48);
        compact.BytesPerItem.Should().Be(52, "d int8 values and one fp32 scale");
        compact.SizeInBytes.Should().Be(300L * 52);
        compact.Rows.Length.Should().Be(300 * 48);
        var row = new float[48];
        for (int id = 1; id <= 300; id++)
        {
            compact.Dequantize(id, row);
            var exact = items[id];
            float max = 0f;
            foreach (float v in exact)
            {
                max = MathF.Max(max, MathF.Abs(v));
            }

            compact.Scales[id - 1].Should().BeApproximately(max / 127f, 1e-9f);
            for (int k = 0; k < 48; k++)
            {
                MathF.Abs(row[k] - exact[k]).Should().BeLessThanOrEqualTo((max / 127f * 0.5f) + 1e-7f, $"item {id}, component {k}");
            }
        }
    }

    [Fact]
    public void A_zero_row_quantises_to_zero_with_scale_zero()
    {
        var rows = new float[3 * 4];
        rows[8] = 1f; // item 3 only
        var compact = new CompactItemTable(ItemEmbeddingTable.FromItemRows(3, 4, rows));
        compact.Scales.ToArray().Should().Equal(0f, 0f, 1f / 127f);
        var row = new float[4];
        compact.Dequantize(1, row);
        row.Should().AllSatisfy(v => v.Should().Be(0f));
        compact.Dequantize(3, row);
        row.Should().Equal(1f, 0f, 0f, 0f);
    }

    [Theory]
    [MemberData(nameof(KernelShapes))]
    public void The_int8_kernel_computes_the_scaled_dot_product_within_the_vectors_own_quantisation(int n, int d)
    {
        var items = TestData.RandomTable(n, d, seed: (n * 100) + d);
        var compact = new CompactItemTable(items);
        var user = TestData.RandomVector(d, new Random(d), scale: 2f);
        var quantised = new QuantizedVector(user, new byte[DotKernels.QuantizedBufferBytes(d)]);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && d % 16 == 0)
        {
            quantised.Path.Should().NotBe(QuantizedPath.Scalar, "an integer kernel takes d = {0}", d);
        }

        var result = new float[n];
        DotKernels.QuantizedRowDots(quantised, compact.Rows, compact.Scales, result);

        // The integer kernels quantise the vector too (int8 with VNNI, int16 with AVX2): each component within half
        // its step, so the sum moves by at most Σ|q_k| · step / 2.
        double step = quantised.Path == QuantizedPath.Scalar ? 0 : quantised.Scale;
        for (int p = 0; p < n; p++)
        {
            double sum = 0;
            double magnitude = 0;
            for (int k = 0; k < d; k++)
            {
                sum += (double)user[k] * compact.Rows[(p * d) + k];
                magnitude += Math.Abs(compact.Rows[(p * d) + k]);
            }

            double expected = compact.Scales[p] * sum;
            double allowed = (compact.Scales[p] * magnitude * step / 2) + (1e-5 * (1 + Math.Abs(expected)));
            Math.Abs(result[p] - expected).Should().BeLessThanOrEqualTo(allowed, $"row {p} of {n}, d = {d}, {quantised.Path}");
        }

        var viaTable = new float[n];
        compact.ComputeApproximateLogits(user, viaTable);
        viaTable.Should().Equal(result, "the public first-stage logits are the kernel's");
    }

    [Theory]
    [MemberData(nameof(KernelShapes))]
    public void The_exact_single_row_dot_is_bit_for_bit_the_catalogue_pass(int n, int d)
    {
        var items = TestData.RandomTable(n, d, seed: (n * 10) + d);
        var user = TestData.RandomVector(d, new Random(n + d));
        var all = new float[n];
        DotKernels.RowDots(user, items.ItemRows, all);
        for (int p = 0; p < n; p++)
        {
            DotKernels.RowDotAt(user, items.ItemRows, p, n).Should().Be(all[p], $"row {p} of {n}, d = {d}");
        }
    }

    public static TheoryData<string> Models() => ["cosine", "increase", "absolute", "affine"];

    [Theory]
    [MemberData(nameof(Models))]
    public void With_the_default_shortlist_the_result_equals_the_fp32_path_for_many_users_targets_and_strengths(string model)
    {
        const int n = 6000;
        const int d = 48;
        var random = new Random(model.Length);
        var plain = TestData.RandomTable(n, d, seed: 11);
        var biases = Enumerable.Range(0, n + 1).Select(i => i == 0 ? 0f : (float)(random.NextDouble() - 0.5)).ToArray();
        IGuidanceModel guidance = model switch
        {
            "cosine" => CosineGuidance.Instance,
            "increase" => LinearGuidance.Default,
            "absolute" => LinearGuidance.Absolute(0.4f),
            _ => LinearGuidance.Affine(0.9, 3.5),
        };

        foreach (var items in new[] { plain, new ItemEmbeddingTable(n, d, plain.Rows, biases) })
        {
            var compact = new CompactItemTable(items);
            foreach (var policy in new[] { NegativeGuidancePolicy.AccuracyFallback, NegativeGuidancePolicy.Raw })
            {
                var options = new IpgOptions { Guidance = guidance, NegativeGuidance = policy };
                var exact = new IpgReranker(new InMemoryEncoder(items), options);
                var fast = new IpgReranker(exact.Encoder, options with { CompactTable = compact });
                var targets = new[]
                {
                    exact.PrepareTarget(7),
                    exact.PrepareTarget(4321),
                    exact.PrepareCampaign([new WeightedItem(10, 1f), new WeightedItem(20, 0.5f), new WeightedItem(3000, 2f)]),
                    exact.PrepareTarget(TestData.RandomVector(d, random)),
                };
                for (int u = 0; u < 12; u++)
                {
                    var user = TestData.RandomVector(d, random, scale: 4f / MathF.Sqrt(d));
                    int[] excluded = [.. Enumerable.Range(0, 30).Select(_ => random.Next(1, n + 1)).Distinct()];
                    foreach (var target in targets)
                    {
                        foreach (float strength in new[] { 0f, 0.35f, 1f })
                        {
                            foreach (int k in new[] { 1, 10, 100 })
                            {
                                var context = $"{model}, {policy}, biases {items.HasBiases}, user {u}, {target.Description}, λ {strength}, K {k}";
                                ShouldEqual(fast, exact, user, target, k, strength, excluded, context);
                                ShouldEqual(fast, exact, user, target, k, strength, [], context);
                            }
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Exclusions_that_remove_the_targets_extreme_items_still_give_the_catalogue_wide_strength_scale()
    {
        // S = max |g| over the items not excluded; excluding the items with the least and greatest cosine term makes
        // the compact path search the term again instead of using the target's cached extremes.
        var items = TestData.RandomTable(4000, 64, seed: 5);
        var exact = new IpgReranker(new InMemoryEncoder(items));
        var fast = new IpgReranker(exact.Encoder, IpgOptions.Default with { CompactTable = new CompactItemTable(items) });
        var target = exact.PrepareTarget(99);
        var (minId, maxId) = target.TermExtremes(TargetTerm.Cosines);
        var random = new Random(5);
        for (int u = 0; u < 20; u++)
        {
            var user = TestData.RandomVector(64, random, scale: 0.5f);
            ShouldEqual(fast, exact, user, target, 10, 0.35f, [minId, maxId, 5, 6], $"user {u}");
            ShouldEqual(fast, exact, user, target, 10, 0.35f, [maxId], $"user {u}");
        }
    }

    [Fact]
    public void Recommend_and_both_batch_forms_take_the_compact_path_and_equal_fp32()
    {
        var items = TestData.RandomTable(3000, 32, seed: 8);
        var encoder = new InMemoryEncoder(items, maxHistoryLength: 50);
        var exact = new IpgReranker(encoder);
        var fast = new IpgReranker(encoder, IpgOptions.Default with { CompactTable = new CompactItemTable(items) });
        var target = exact.PrepareTarget(17);
        var other = exact.PrepareTarget(2900);
        var random = new Random(8);
        const int users = 40;
        const int k = 10;
        var histories = Enumerable.Range(0, users).Select(_ => Enumerable.Range(0, 20).Select(_ => random.Next(1, 3001)).ToArray()).ToArray();
        var embeddings = new float[users * 32];
        var mask = new ExclusionMask(users, 3000);
        for (int u = 0; u < users; u++)
        {
            encoder.Encode(histories[u], embeddings.AsSpan(u * 32, 32));
            foreach (int id in histories[u])
            {
                mask.Add(u, id);
            }

            fast.Recommend(histories[u], target, k, histories[u]).Should().Equal(exact.Recommend(histories[u], target, k, histories[u]), $"user {u}");
        }

        var targets = Enumerable.Range(0, users).Select(u => u % 2 == 0 ? target : other).ToArray();
        foreach (bool perUser in new[] { false, true })
        {
            var expected = new RankedItem[users * k];
            var actual = new RankedItem[users * k];
            var expectedCounts = new int[users];
            var actualCounts = new int[users];
            if (perUser)
            {
                exact.RerankBatch(embeddings, targets, k, expected, expectedCounts, mask);
                fast.RerankBatch(embeddings, targets, k, actual, actualCounts, mask);
            }
            else
            {
                exact.RerankBatch(embeddings, target, k, expected, expectedCounts, mask);
                fast.RerankBatch(embeddings, target, k, actual, actualCounts, mask);
            }

            actualCounts.Should().Equal(expectedCounts);
            actual.Should().Equal(expected, $"per-user targets: {perUser}");
        }
    }

    [Fact]
    public void A_tiny_shortlist_can_miss_items_but_every_entry_it_returns_is_exact_and_in_exact_order()
    {
        const int n = 8000;
        const int d = 48;
        const int k = 10;
        var items = TestData.RandomTable(n, d, seed: 21);
        var exact = new IpgReranker(new InMemoryEncoder(items));
        var tiny = new IpgReranker(exact.Encoder, IpgOptions.Default with { CompactTable = new CompactItemTable(items), CompactShortlist = 1 });
        var target = exact.PrepareTarget(33);
        var random = new Random(21);
        var full = new RankedItem[n];
        var fast = new RankedItem[k];
        var expected = new RankedItem[k];
        int differing = 0;
        for (int u = 0; u < 200; u++)
        {
            var user = TestData.RandomVector(d, random, scale: 4f / MathF.Sqrt(d));
            tiny.RerankCatalogue(user, target, fast).Should().Be(k, "a shortlist below K counts as K");
            exact.RerankCatalogue(user, target, expected).Should().Be(k);
            exact.RerankCatalogue(user, target, full).Should().Be(n);
            var rank = new Dictionary<int, int>();
            for (int r = 0; r < n; r++)
            {
                rank[full[r].ItemId] = r;
            }

            var ranks = fast.Select(e => rank[e.ItemId]).ToArray();
            ranks.Should().BeInAscendingOrder("the shortlist is ranked by the exact keys");
            foreach (var entry in fast)
            {
                // The same item's entry in the exact full ranking: p̂, g and r bit for bit.
                entry.Should().Be(full[rank[entry.ItemId]], $"user {u}: the re-score of item {entry.ItemId} is exact");
            }

            if (!fast.SequenceEqual(expected))
            {
                differing++;
            }
        }

        differing.Should().BeGreaterThan(0, "with M = K the int8 order decides which items reach the exact re-score");
        differing.Should().BeLessThan(200);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(17)]
    [InlineData(40)]
    public void A_batch_shares_each_pass_over_the_table_and_equals_each_users_own_compact_call(int users)
    {
        // M = K makes the compact path differ from fp32 for some users, so equality here shows that every user of a
        // block goes through the first stage exactly as alone, not only that both paths find the fp32 list.
        const int n = 5000;
        const int d = 48;
        const int k = 10;
        var random = new Random(users);
        var plain = TestData.RandomTable(n, d, seed: 31);
        var biases = Enumerable.Range(0, n + 1).Select(i => i == 0 ? 0f : (float)(random.NextDouble() - 0.5)).ToArray();
        var items = new ItemEmbeddingTable(n, d, plain.Rows, biases);
        var compact = new CompactItemTable(items);
        var embeddings = TestData.RandomVector(users * d, random, scale: 4f / MathF.Sqrt(d));
        var mask = new ExclusionMask(users, n);
        for (int u = 0; u < users; u++)
        {
            for (int e = 0; e < 20; e++)
            {
                mask.Add(u, random.Next(1, n + 1));
            }
        }

        foreach (var options in new[] { IpgOptions.Default, IpgOptions.Paper, TestData.LinearFallback with { Strength = 0.6f } })
        {
            foreach (int? shortlist in new int?[] { k, null })
            {
                var reranker = new IpgReranker(new InMemoryEncoder(items), options with { CompactTable = compact, CompactShortlist = shortlist });
                var targets = Enumerable.Range(0, users).Select(u => reranker.PrepareTarget(1 + (u * 97 % n))).ToArray();
                foreach (float strength in new[] { 0f, 0.35f, 1f })
                {
                    var batch = new RankedItem[users * k];
                    var counts = new int[users];
                    reranker.RerankBatch(embeddings, targets, k, batch, counts, mask, strength);
                    for (int u = 0; u < users; u++)
                    {
                        var alone = new RankedItem[k];
                        int[] excluded = [.. Enumerable.Range(1, n).Where(id => mask.Contains(u, id))];
                        int written = reranker.RerankCatalogue(embeddings.AsSpan(u * d, d), targets[u], alone, excluded, strength);
                        counts[u].Should().Be(written);
                        batch.AsSpan(u * k, k).ToArray().Should().Equal(alone, $"{options.Guidance.Name}, M {shortlist}, λ {strength}, user {u} of {users}");
                    }
                }
            }
        }
    }

    [Fact]
    public void A_small_catalogue_scores_every_item_in_fp32()
    {
        var items = TestData.RandomTable(400, 16, seed: 2);
        var exact = new IpgReranker(new InMemoryEncoder(items));
        var fast = new IpgReranker(exact.Encoder, IpgOptions.Default with { CompactTable = new CompactItemTable(items) });
        var user = TestData.RandomVector(16, new Random(2));
        var target = exact.PrepareTarget(3);
        ShouldEqual(fast, exact, user, target, 400, 0.35f, [], "the shortlist is the whole catalogue");
        ShouldEqual(fast, exact, user, target, 10, 0.35f, [], "M = 256 is more than half of 400 items");
    }

    [Fact]
    public void Excluding_every_item_returns_nothing()
    {
        var items = TestData.RandomTable(600, 8, seed: 4);
        var fast = new IpgReranker(new InMemoryEncoder(items), IpgOptions.Default with { CompactTable = new CompactItemTable(items), CompactShortlist = 10 });
        var dest = new RankedItem[5];
        int[] all = [.. Enumerable.Range(1, 600)];
        foreach (float strength in new[] { 0f, 0.35f, 1f })
        {
            fast.RerankCatalogue(new float[8], fast.PrepareTarget(1), dest, all, strength).Should().Be(0);
        }
    }

    [Fact]
    public void Arguments_are_validated()
    {
        var items = TestData.RandomTable(600, 8, seed: 9);
        var encoder = new InMemoryEncoder(items);
        var compact = new CompactItemTable(items);

        FluentActions.Invoking(() => new CompactItemTable(null!)).Should().Throw<ArgumentNullException>().WithParameterName("items");
        FluentActions.Invoking(() => compact.Dequantize(0, new float[8])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("itemId");
        FluentActions.Invoking(() => compact.Dequantize(601, new float[8])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("itemId");
        FluentActions.Invoking(() => compact.Dequantize(1, new float[7])).Should().Throw<ArgumentException>().WithParameterName("destination");

        FluentActions.Invoking(() => new IpgOptions { CompactShortlist = 0 }.Validate())
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("CompactShortlist");
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { CompactTable = compact, CompactShortlist = -3 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("CompactShortlist");

        var copy = new CompactItemTable(TestData.RandomTable(600, 8, seed: 9));
        FluentActions.Invoking(() => new IpgReranker(encoder, new IpgOptions { CompactTable = copy }))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*another item table*");

        var lookAhead = new IpgOptions { CompactTable = compact, Guidance = new ExactLookAheadGuidance(LinearGuidance.Default, 20) };
        FluentActions.Invoking(() => new IpgReranker(encoder, lookAhead))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*does not depend on p̂*exact(M=20*");

        var softmax = new SoftmaxEncoder(encoder);
        FluentActions.Invoking(() => new IpgReranker(softmax, new IpgOptions { CompactTable = compact }))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*element-wise p̂*SoftmaxEncoder*");
        FluentActions.Invoking(() => new IpgReranker(softmax, new IpgOptions { CompactTable = compact, Acceptance = AcceptanceCalibration.Identity }))
            .Should().NotThrow("a calibrated p̂ is element-wise");
        FluentActions.Invoking(() => new IpgReranker(softmax, new IpgOptions { CompactShortlist = 5 }))
            .Should().NotThrow("without a compact table the shortlist is ignored");
    }

    private static void ShouldEqual(IpgReranker fast, IpgReranker exact, float[] user, GuidanceTarget target, int k, float strength, int[] excluded, string because)
    {
        var expected = new RankedItem[k];
        var actual = new RankedItem[k];
        int e = exact.RerankCatalogue(user, target, expected, excluded, strength);
        int a = fast.RerankCatalogue(user, target, actual, excluded, strength);
        a.Should().Be(e, because);
        actual.Should().Equal(expected, because);
    }

    /// <summary>p̂ as a softmax over the logits of the call (what a model declaring ipg.acceptance = softmax does).</summary>
    private sealed class SoftmaxEncoder(ISequentialEncoder inner) : DelegatingEncoder(inner)
    {
        public override void ComputeProbabilities(ReadOnlySpan<float> logits, Span<float> destination)
            => System.Numerics.Tensors.TensorPrimitives.SoftMax(logits, destination[..logits.Length]);
    }
}
