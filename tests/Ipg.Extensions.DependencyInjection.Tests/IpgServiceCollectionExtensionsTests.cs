using Ipg.Guidance;
using Ipg.Encoders;
using Ipg.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Ipg.Tests.Shared;

namespace Ipg.Extensions.DependencyInjection.Tests;

public class IpgServiceCollectionExtensionsTests
{
    private static ItemEmbeddingTable Table() => ItemEmbeddingTable.FromItemRows(3, 2, [1, 0, 0, 1, 1, 1]);

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Binds_options_from_configuration_and_builds_the_reranker()
    {
        var config = Config(("Ipg:Form", "Absolute"), ("Ipg:Gamma", "0.25"), ("Ipg:NegativeGuidance", "Raw"), ("Ipg:MaxResults", "50"));
        var services = new ServiceCollection().AddLogging();
        services.AddIpg(config.GetSection(IpgServiceOptions.SectionName), _ => new InMemoryEncoder(Table()));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var reranker = provider.GetRequiredService<IpgReranker>();
        reranker.Options.Should().Be(new IpgOptions { Guidance = LinearGuidance.Absolute(0.25f), NegativeGuidance = NegativeGuidancePolicy.Raw }, "unset settings keep the library's defaults (λ = 0.35)");
        provider.GetRequiredService<GuidanceTargetCache>().GetOrPrepare(2).Items.Should().BeSameAs(reranker.Encoder.ItemEmbeddings);
        provider.GetRequiredService<IOptions<IpgServiceOptions>>().Value.MaxResults.Should().Be(50);
        provider.GetRequiredService<IpgReranker>().Should().BeSameAs(reranker);
        reranker.Encoder.Should().BeSameAs(provider.GetRequiredService<ISequentialEncoder>());
    }

    [Fact]
    public void ConfigureSession_set_in_code_beside_bound_encoder_options_runs_when_the_host_starts()
    {
        // The execution provider hook is code (a delegate); the rest of Ipg:Encoder still comes from configuration.
        var config = Config(("Ipg:Encoder:IntraOpThreads", "2"));
        var services = new ServiceCollection().AddLogging();
        services.AddIpg(config.GetSection(IpgServiceOptions.SectionName));
        int seenThreads = 0;
        services.PostConfigure<IpgServiceOptions>(o => o.Encoder = o.Encoder with { ConfigureSession = so => seenThreads = so.IntraOpNumThreads });
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        seenThreads.Should().Be(0, "nothing loads before the host starts");

        provider.GetRequiredService<IpgReranker>();
        seenThreads.Should().Be(2);
    }

    [Theory]
    [InlineData("Ipg:Gamma", "1")]
    [InlineData("Ipg:Gamma", "-0.5")]
    [InlineData("Ipg:MaxResults", "0")]
    [InlineData("Ipg:Form", "7")]
    [InlineData("Ipg:Encoder:Kernel", "9")]
    [InlineData("Ipg:Encoder:BatchParallelism", "0")]
    [InlineData("Ipg:Encoder:MaxBatchSize", "0")]
    [InlineData("Ipg:Encoder:IntraOpThreads", "0")]
    public void Invalid_options_fail_at_start_up(string key, string value)
    {
        var services = new ServiceCollection();
        services.AddIpg(Config((key, value)).GetSection("Ipg"), _ => new InMemoryEncoder(Table()));
        using var provider = services.BuildServiceProvider();

        FluentActions.Invoking(() => provider.GetRequiredService<IStartupValidator>().Validate())
            .Should().Throw<OptionsValidationException>();
    }

    [Fact]
    public void Configuration_selects_the_exact_look_ahead_and_the_strength()
    {
        var config = Config(("Ipg:Form", "Cosine"), ("Ipg:LookAhead", "Exact"), ("Ipg:ExactCandidates", "7"), ("Ipg:Strength", "0.6"));
        var services = new ServiceCollection();
        services.AddIpg(config.GetSection(IpgServiceOptions.SectionName), _ => new InMemoryEncoder(Table()));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var options = provider.GetRequiredService<IpgReranker>().Options;
        var exact = options.Guidance.Should().BeOfType<ExactLookAheadGuidance>().Subject;
        exact.Candidates.Should().Be(7);
        exact.Form.Should().Be(GuidanceForm.Cosine);
        exact.Shortlist.Should().BeSameAs(CosineGuidance.Instance);
        options.Strength.Should().Be(0.6f);
    }

    [Fact]
    public void An_out_of_range_strength_fails_start_up()
    {
        var config = Config(("Ipg:Strength", "1.5"));
        var services = new ServiceCollection();
        services.AddIpg(config.GetSection(IpgServiceOptions.SectionName), _ => new InMemoryEncoder(Table()));
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IStartupValidator>().Validate()).Should().Throw<OptionsValidationException>().WithMessage("*Strength*");
    }

    [Fact]
    public void The_encoder_is_a_singleton_disposed_with_the_container()
    {
        var encoder = new DisposableEncoder(new InMemoryEncoder(Table()));
        var services = new ServiceCollection();
        services.AddIpg(_ => encoder, o => (o.Form, o.Gamma) = (GuidanceForm.Increase, 0.5f));
        using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredService<IpgReranker>().Options.Guidance.Should().Be(LinearGuidance.Increase(0.5f));
            encoder.Disposed.Should().BeFalse();
        }

        encoder.Disposed.Should().BeTrue();
    }

    [Fact]
    public void Without_an_encoder_factory_the_embedded_default_model_is_served_and_disposed_with_the_container()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddIpg(Config(("Ipg:Gamma", "0.5"), ("Ipg:Encoder:ExpectedItemCount", "3533")).GetSection("Ipg"));
        Encoders.OnnxSasRecEncoder encoder;
        using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            var reranker = provider.GetRequiredService<IpgReranker>();
            encoder = reranker.Encoder.Should().BeOfType<Encoders.OnnxSasRecEncoder>().Subject;
            encoder.ItemCount.Should().Be(3533);
            reranker.Recommend([1, 2, 3], reranker.PrepareTarget(10), 5).Should().HaveCount(5);
        }

        FluentActions.Invoking(() => encoder.ItemCount).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Every_encoder_option_is_bound_from_configuration_into_the_library_s_own_type()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddIpg(Config(
            ("Ipg:Encoder:IntraOpThreads", "2"), ("Ipg:Encoder:InterOpThreads", "2"), ("Ipg:Encoder:GraphOptimizationLevel", "ORT_ENABLE_BASIC"),
            ("Ipg:Encoder:MaxBatchSize", "8"), ("Ipg:Encoder:BatchParallelism", "2"), ("Ipg:Encoder:ExpectedItemCount", "3533"),
            ("Ipg:Encoder:Warmup", "false"), ("Ipg:Encoder:Kernel", "Managed")).GetSection("Ipg"));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var encoder = provider.GetRequiredService<IpgReranker>().Encoder.Should().BeOfType<Encoders.OnnxSasRecEncoder>().Subject;
        encoder.Options.Should().Be(new OnnxSasRecEncoderOptions
        {
            IntraOpThreads = 2, InterOpThreads = 2, GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            MaxBatchSize = 8, BatchParallelism = 2, ExpectedItemCount = 3533, Warmup = false, Kernel = SasRecKernel.Managed,
        });
        OnnxSasRecEncoderOptions.Default.Should().Be(new OnnxSasRecEncoderOptions(), "binding never writes into the shared defaults");
    }

    [Fact]
    public void An_encoder_option_out_of_range_fails_start_up_naming_it()
    {
        var services = new ServiceCollection();
        services.AddIpg(Config(("Ipg:Encoder:BatchParallelism", "0")).GetSection("Ipg"));
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IStartupValidator>().Validate())
            .Should().Throw<OptionsValidationException>().WithMessage("*Ipg:Encoder:BatchParallelism*");
    }

    [Fact]
    public void The_managed_kernel_is_chosen_from_configuration_and_agrees_with_onnx_runtime()
    {
        int[] history = [1772, 1632, 609, 2843, 3222, 3049, 546, 236];
        RankedItem[] Serve(string kernel)
        {
            var services = new ServiceCollection().AddLogging();
            services.AddIpg(Config(("Ipg:Encoder:Kernel", kernel)).GetSection("Ipg"));
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();
            var reranker = provider.GetRequiredService<IpgReranker>();
            reranker.Encoder.Should().BeOfType<Encoders.OnnxSasRecEncoder>().Which.Options.Kernel.Should().Be(Enum.Parse<SasRecKernel>(kernel));
            return reranker.Recommend(history, reranker.PrepareTarget(2277), 10, history);
        }

        var managed = Serve("Managed");
        var onnx = Serve("OnnxRuntime");
        managed.Select(r => r.ItemId).Should().Equal(onnx.Select(r => r.ItemId));
        managed.Zip(onnx).Should().OnlyContain(p => Math.Abs(p.First.Score - p.Second.Score) < 1e-5f);
    }

    [Fact]
    public void A_missing_model_file_fails_when_the_encoder_is_first_resolved()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddIpg(o => o.ModelPath = "/nonexistent/model.onnx");
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IpgReranker>()).Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public async Task Under_a_host_the_model_is_loaded_when_the_host_starts_and_a_missing_one_fails_start_up()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddIpg(o => o.ModelPath = "/nonexistent/model.onnx");
        using (var provider = services.BuildServiceProvider())
        {
            var startup = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Should().ContainSingle().Subject;
            await FluentActions.Awaiting(() => startup.StartAsync(CancellationToken.None)).Should().ThrowAsync<FileNotFoundException>();
        }

        var loads = 0;
        var good = new ServiceCollection().AddLogging();
        good.AddIpg(_ => { loads++; return new InMemoryEncoder(Table()); });
        using var started = good.BuildServiceProvider();
        var hosted = started.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Single();
        loads.Should().Be(0, "nothing is loaded before the host starts");
        await hosted.StartAsync(CancellationToken.None);
        loads.Should().Be(1);
        started.GetRequiredService<IpgReranker>().Should().NotBeNull();
        loads.Should().Be(1, "the model the host loaded is the one served");
    }

    [Fact]
    public void Validates_arguments()
    {
        var services = new ServiceCollection();
        FluentActions.Invoking(() => services.AddIpg((Func<IServiceProvider, ISequentialEncoder>)null!)).Should().Throw<ArgumentNullException>().WithParameterName("encoderFactory");
        FluentActions.Invoking(() => services.AddIpg((Action<IpgServiceOptions>)null!)).Should().Throw<ArgumentNullException>().WithParameterName("configure");
        FluentActions.Invoking(() => services.AddIpg((IConfiguration)null!)).Should().Throw<ArgumentNullException>().WithParameterName("configuration");
        FluentActions.Invoking(() => services.AddIpg(null!, _ => null!)).Should().Throw<ArgumentNullException>().WithParameterName("configuration");
        FluentActions.Invoking(() => ((IServiceCollection)null!).AddIpg(_ => null!)).Should().Throw<ArgumentNullException>().WithParameterName("services");
    }

    private sealed class DisposableEncoder(InMemoryEncoder inner) : DelegatingEncoder(inner), IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    private static string SaveFit(ItemEmbeddingTable items, AcceptanceCalibration? acceptance)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ipg-di-fit-{Guid.NewGuid():N}.json");
        new LookAheadFit
        {
            ItemCount = items.ItemCount,
            Dimension = items.Dimension,
            ItemTableSha256 = LookAheadFit.ComputeItemTableSha256(items),
            A = 0.9,
            B = 3,
            Acceptance = acceptance,
            Validation = new LookAheadFitValidation(8, 2, 16, 4, 0.9, 0.9, 1.1, 0, 0, double.NaN, double.NaN),
        }.Save(path);
        return path;
    }

    [Fact]
    public void Configuration_loads_a_look_ahead_fit_and_plans_with_its_move_and_calibrated_acceptance()
    {
        var calibration = new AcceptanceCalibration(0.6f, -1.2f);
        string fit = SaveFit(Table(), calibration);
        try
        {
            var config = Config(("Ipg:Form", "Increase"), ("Ipg:LookAheadFitPath", fit), ("Ipg:PlanningHorizon", "2"), ("Ipg:PlanningBeam", "3"), ("Ipg:PlanningShortlist", "2"));
            var services = new ServiceCollection();
            services.AddIpg(config.GetSection(IpgServiceOptions.SectionName), _ => new InMemoryEncoder(Table()));
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();

            var options = provider.GetRequiredService<IpgReranker>().Options;
            var planned = options.Guidance.Should().BeOfType<PlannedGuidance>().Subject;
            (planned.Horizon, planned.Beam, planned.Shortlist, planned.Proxy).Should().Be((2, 3, 2, GuidanceForm.Increase));
            planned.StepModel.Name.Should().Be(LinearGuidance.Affine(0.9f, 3f).Name, "Form Increase with a fit uses the fitted move");
            planned.Acceptance.Should().Be(calibration);
            options.Acceptance.Should().Be(calibration);
            provider.GetRequiredService<IpgReranker>().Recommend([1], provider.GetRequiredService<IpgReranker>().PrepareTarget(3), 2).Should().NotBeEmpty();
        }
        finally
        {
            File.Delete(fit);
        }
    }

    [Fact]
    public void A_cosine_form_keeps_its_rule_and_takes_only_the_fits_calibration()
    {
        var calibration = new AcceptanceCalibration(0.6f, -1.2f);
        string fit = SaveFit(Table(), calibration);
        try
        {
            var settings = new IpgServiceOptions { Form = GuidanceForm.Cosine, LookAheadFitPath = fit };
            var options = settings.ToRerankerOptions();
            options.Guidance.Should().BeSameAs(CosineGuidance.Instance);
            options.Acceptance.Should().Be(calibration);
        }
        finally
        {
            File.Delete(fit);
        }
    }

    [Fact]
    public void A_fit_for_another_model_or_an_unreadable_fit_file_is_refused_with_its_reason()
    {
        var other = ItemEmbeddingTable.FromItemRows(3, 2, [1, 0, 0, 1, 1, 2]);
        string fit = SaveFit(other, null);
        try
        {
            var services = new ServiceCollection();
            services.AddIpg(Config(("Ipg:LookAheadFitPath", fit)).GetSection("Ipg"), _ => new InMemoryEncoder(Table()));
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();
            FluentActions.Invoking(() => provider.GetRequiredService<IpgReranker>()).Should().Throw<InvalidDataException>().WithMessage("*sha256*");

            File.WriteAllText(fit, "{ \"format\": \"ipg-look-ahead-fit\", \"version\": 9 }");
            var broken = new ServiceCollection();
            broken.AddIpg(Config(("Ipg:LookAheadFitPath", fit)).GetSection("Ipg"), _ => new InMemoryEncoder(Table()));
            using var brokenProvider = broken.BuildServiceProvider();
            FluentActions.Invoking(() => brokenProvider.GetRequiredService<IStartupValidator>().Validate())
                .Should().Throw<OptionsValidationException>().WithMessage("*LookAheadFitPath*version 9*");
        }
        finally
        {
            File.Delete(fit);
        }
    }

    [Theory]
    [InlineData("5")]
    [InlineData("-1")]
    public void An_out_of_range_planning_horizon_fails_start_up(string horizon)
    {
        var services = new ServiceCollection();
        services.AddIpg(Config(("Ipg:PlanningHorizon", horizon)).GetSection("Ipg"), _ => new InMemoryEncoder(Table()));
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IStartupValidator>().Validate()).Should().Throw<OptionsValidationException>().WithMessage("*PlanningHorizon*");
    }

    [Fact]
    public void Without_settings_the_service_gets_the_librarys_default_options()
    {
        var services = new ServiceCollection();
        services.AddIpg(_ => new InMemoryEncoder(Table()));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        provider.GetRequiredService<IpgReranker>().Options.Should().Be(IpgOptions.Default);
    }
}
