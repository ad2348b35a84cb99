using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ipg.Encoders;
using Ipg.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ipg.Extensions.DependencyInjection.Tests;

/// <summary>Swapping the served model while requests run: leases, retirement, refusal, the file watch.</summary>
public sealed class IpgModelProviderTests : IDisposable
{
    private static readonly string TinyV1 = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sasrec-tiny.onnx");
    private static readonly string TinyV2 = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sasrec-tiny-v2.onnx");
    private readonly string _folder = Directory.CreateTempSubdirectory("ipg-swap-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>A 3-item encoder whose item table is scaled by <paramref name="scale"/>, so each version ranks differently.</summary>
    private static CountingEncoder Encoder(float scale) =>
        new(new InMemoryEncoder(ItemEmbeddingTable.FromItemRows(3, 2, [1 * scale, 0, 0, 1, scale, 2])));

    private static ServiceProvider Build(Action<IpgServiceOptions> configure, Func<IServiceProvider, ISequentialEncoder>? factory = null, ListLogger? logger = null)
    {
        var services = new ServiceCollection().AddLogging(b =>
        {
            if (logger is not null)
            {
                b.AddProvider(logger);
            }
        });
        if (factory is null)
        {
            services.AddIpg(configure);
        }
        else
        {
            services.AddIpg(factory, configure);
        }

        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        return provider;
    }

    [Fact]
    public void A_lease_keeps_its_model_through_a_swap_and_the_old_encoder_is_disposed_after_the_last_lease()
    {
        var first = Encoder(1);
        using var services = Build(_ => { }, _ => first);
        var models = services.GetRequiredService<IpgModelProvider>();
        models.Current.Generation.Should().Be(1);
        models.Current.Version.Should().Be("custom-1");

        var lease = models.Acquire();
        var second = Encoder(2);
        var swapped = models.Swap(second, "v2", "test");

        models.Current.Should().BeSameAs(swapped);
        swapped.Version.Should().Be("v2");
        swapped.Generation.Should().Be(2);
        lease.Model.Encoder.Should().BeSameAs(first, "the request that took the lease before the swap finishes on the old model");
        lease.Model.Reranker.Recommend([1], lease.Model.Targets.GetOrPrepare(3), 2).Should().HaveCount(2);
        first.Disposed.Should().BeFalse();
        models.LiveModels.Should().Be(2);

        lease.Dispose();
        first.Disposed.Should().BeTrue("the last lease on a replaced model retires it");
        models.LiveModels.Should().Be(1);
    }

    [Fact]
    public async Task Concurrent_requests_each_see_one_whole_model_version_while_models_are_swapped()
    {
        // Expected ranking per version, computed directly on a private copy of each encoder.
        float[] scales = [1, 2, 3, 4];
        var expected = scales.ToDictionary(s => $"v{s}", s =>
        {
            var reranker = new IpgReranker(Encoder(s));
            return reranker.Recommend([1, 2], reranker.PrepareTarget(3), 3).Select(r => (r.ItemId, r.Score)).ToArray();
        });
        expected.Values.Select(v => string.Join(",", v)).Distinct().Should().HaveCount(scales.Length, "the versions must be told apart by their answers");

        var encoders = new ConcurrentBag<CountingEncoder>();
        CountingEncoder Make(float s)
        {
            var e = Encoder(s);
            encoders.Add(e);
            return e;
        }

        using var services = Build(_ => { }, _ => Make(1));
        var models = services.GetRequiredService<IpgModelProvider>();
        models.Swap(Make(1), "v1");
        using var stop = new CancellationTokenSource();
        var seen = new ConcurrentDictionary<string, int>();
        int requests = 0;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var lease = models.Acquire();
                var model = lease.Model;
                var ranked = model.Reranker.Recommend([1, 2], model.Targets.GetOrPrepare(3), 3).Select(r => (r.ItemId, r.Score)).ToArray();
                ranked.Should().Equal(expected[model.Version], $"a response comes entirely from model {model.Version}");
                seen.AddOrUpdate(model.Version, 1, (_, n) => n + 1);
                Interlocked.Increment(ref requests);
            }
        })).ToArray();

        // Swap while the workers run, until both enough swaps and enough requests have happened (or 20 s passed).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        for (int swap = 0; (swap < 200 || Volatile.Read(ref requests) < 2000) && DateTime.UtcNow < deadline; swap++)
        {
            float s = scales[swap % scales.Length];
            models.Swap(Make(s), $"v{s}");
            Thread.Yield();
        }

        stop.Cancel();
        await Task.WhenAll(workers);

        seen.Keys.Should().HaveCountGreaterThan(1, "requests ran across several versions");
        models.LiveModels.Should().Be(1, "every replaced model was retired once its requests finished");
        encoders.Count(e => !e.Disposed).Should().Be(1, "only the current model's encoder is alive");
        encoders.Where(e => e.Disposed).Should().OnlyContain(e => e.CallsAfterDispose == 0, "no request ran on a disposed encoder");
    }

    [Fact]
    public void Reload_from_a_file_swaps_in_its_version_and_a_bad_file_is_refused_while_the_current_model_keeps_serving()
    {
        var logger = new ListLogger();
        using var services = Build(o => o.ModelPath = TinyV1, logger: logger);
        var models = services.GetRequiredService<IpgModelProvider>();
        models.Current.Sha256.Should().Be(Sha(TinyV1));
        models.Current.Version.Should().Be(Sha(TinyV1)[..16]);
        models.Current.Source.Should().Be(Path.GetFullPath(TinyV1));

        var v2 = models.Reload(TinyV2);
        v2.Sha256.Should().Be(Sha(TinyV2));
        models.Current.Should().BeSameAs(v2);
        logger.Events.Should().Contain(e => e.Id == 2002 && e.Message.Contains(v2.Version));
        logger.Events.Should().Contain(e => e.Id == 2003, "the replaced model had no lease, so it retired at once");

        string garbage = Path.Combine(_folder, "garbage.onnx");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5]);
        FluentActions.Invoking(() => models.Reload(garbage)).Should().Throw<InvalidDataException>();
        FluentActions.Invoking(() => models.Reload(Path.Combine(_folder, "missing.onnx"))).Should().Throw<FileNotFoundException>();
        models.Current.Should().BeSameAs(v2, "a refused model changes nothing");
        logger.Events.Should().Contain(e => e.Id == 2004 && e.Level == LogLevel.Error && e.Message.Contains(v2.Version));
        using var lease = models.Acquire();
        lease.Model.Reranker.Recommend([1, 2], lease.Model.Targets.GetOrPrepare(5), 3).Should().HaveCount(3);
    }

    [Fact]
    public async Task A_watched_model_file_is_swapped_when_a_new_model_is_moved_into_place_and_a_broken_one_is_ignored()
    {
        string path = Path.Combine(_folder, "model.onnx");
        File.Copy(TinyV1, path);
        using var services = Build(o => (o.ModelPath, o.WatchModelFile, o.ModelPollInterval) = (path, true, TimeSpan.FromMilliseconds(100)));
        var models = services.GetRequiredService<IpgModelProvider>();
        models.Current.Sha256.Should().Be(Sha(TinyV1));

        Replace(path, TinyV2);
        (await WaitFor(() => models.Current.Sha256 == Sha(TinyV2))).Should().BeTrue("the watch swaps in the file's new content");
        models.Current.Generation.Should().Be(2);

        string broken = Path.Combine(_folder, "broken.onnx");
        File.WriteAllBytes(broken, File.ReadAllBytes(TinyV1)[..1000]);
        File.Move(broken, path, overwrite: true);
        await Task.Delay(500);
        models.Current.Sha256.Should().Be(Sha(TinyV2), "a truncated model is refused");

        Replace(path, TinyV1);
        (await WaitFor(() => models.Current.Sha256 == Sha(TinyV1))).Should().BeTrue("the next good file is taken");
        models.LiveModels.Should().Be(1);
    }

    [Fact]
    public void The_start_up_singletons_are_pinned_once_resolved_and_refused_after_a_swap_otherwise()
    {
        var first = Encoder(1);
        using (var services = Build(_ => { }, _ => first))
        {
            var reranker = services.GetRequiredService<IpgReranker>();
            services.GetRequiredService<ISequentialEncoder>().Should().BeSameAs(first);
            var models = services.GetRequiredService<IpgModelProvider>();
            models.Swap(Encoder(2), "v2");
            first.Disposed.Should().BeFalse("the resolved singletons keep the start-up model alive");
            reranker.Recommend([1], reranker.PrepareTarget(2), 2).Should().HaveCount(2);
        }

        first.Disposed.Should().BeTrue("the container's disposal releases it");

        using (var services = Build(_ => { }, _ => Encoder(1)))
        {
            services.GetRequiredService<IpgModelProvider>().Swap(Encoder(2), "v2");
            FluentActions.Invoking(() => services.GetRequiredService<IpgReranker>()).Should().Throw<InvalidOperationException>().WithMessage("*IpgModelProvider*lease*");
        }
    }

    [Fact]
    public void Misuse_is_refused_with_the_setting_or_call_to_use_instead()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddIpg(o => o.WatchModelFile = true);
        using (var provider = services.BuildServiceProvider())
        {
            FluentActions.Invoking(() => provider.GetRequiredService<IStartupValidator>().Validate()).Should().Throw<OptionsValidationException>().WithMessage("*WatchModelFile*ModelPath*");
        }

        using var custom = Build(_ => { }, _ => Encoder(1));
        var models = custom.GetRequiredService<IpgModelProvider>();
        FluentActions.Invoking(() => models.Reload(TinyV1)).Should().Throw<ArgumentException>().WithMessage("*factory*Swap*");
        models.Reload().Version.Should().Be("custom-2", "a reload without a path calls the factory again");
        FluentActions.Invoking(() => models.Swap(Encoder(1), " ")).Should().Throw<ArgumentException>().WithParameterName("version");
        FluentActions.Invoking(() => models.Swap(null!, "v")).Should().Throw<ArgumentNullException>().WithParameterName("encoder");

        var lease = models.Acquire();
        lease.Dispose();
        lease.Dispose();
        FluentActions.Invoking(() => lease.Model).Should().Throw<ObjectDisposedException>();
        models.Dispose();
        FluentActions.Invoking(() => models.Acquire()).Should().Throw<ObjectDisposedException>();
    }

    private static void Replace(string path, string source)
    {
        string staged = path + ".new";
        File.Copy(source, staged, overwrite: true);
        File.SetLastWriteTimeUtc(staged, DateTime.UtcNow.AddSeconds(Random.Shared.Next(1, 1000)));
        File.Move(staged, path, overwrite: true);
    }

    private static async Task<bool> WaitFor(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        return condition();
    }

    /// <summary>Counts encoder calls made after disposal (there must be none).</summary>
    private sealed class CountingEncoder(InMemoryEncoder inner) : DelegatingEncoder(inner), IDisposable
    {
        private int _disposed;

        public bool Disposed => Volatile.Read(ref _disposed) == 1;

        private int _callsAfterDispose;

        public int CallsAfterDispose => Volatile.Read(ref _callsAfterDispose);

        public override void Encode(ReadOnlySpan<int> history, Span<float> destination)
        {
            if (Disposed)
            {
                Interlocked.Increment(ref _callsAfterDispose);
            }

            base.Encode(history, destination);
        }

        public void Dispose() => Volatile.Write(ref _disposed, 1);
    }

    private sealed class ListLogger : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<(int Id, LogLevel Level, string Message)> Events { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Events.Enqueue((eventId.Id, logLevel, formatter(state, exception)));

        public void Dispose()
        {
        }
    }
}
