using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Ipg with a service collection.</summary>
/// <remarks>
/// <para>Registers, as singletons: <see cref="Ipg.Extensions.DependencyInjection.IpgModelProvider"/>, which loads the
/// model (the ONNX file of <c>ModelPath</c>, the embedded default, or the encoder your factory builds), builds the
/// re-ranker and target cache over it and can replace it while serving; and <see cref="Ipg.Extensions.DependencyInjection.IpgServiceOptions"/>
/// validated with data annotations and <see cref="Ipg.IpgOptions.Validate"/> when the host starts (<c>ValidateOnStart</c>).
/// An <see cref="Microsoft.Extensions.Hosting.IHostedService"/> resolves the provider when the host starts, so the model
/// is loaded, checked (contract, <c>ExpectedItemCount</c>, the managed kernel's self-check, the look-ahead fit) and
/// warmed before the first request, and a model that cannot be served fails start-up (log event 2001). Without a host
/// (a bare <see cref="ServiceCollection"/>), it is loaded on first use.</para>
/// <para>For services that never swap models, <see cref="Ipg.ISequentialEncoder"/>, <see cref="Ipg.IpgReranker"/> and
/// <see cref="Ipg.GuidanceTargetCache"/> are registered too: the start-up model's, kept alive until the container is
/// disposed (then the encoder is disposed when it is <see cref="IDisposable"/>). A service that swaps models
/// (<see cref="Ipg.Extensions.DependencyInjection.IpgModelProvider.Reload"/>, <c>WatchModelFile</c>) should take a lease
/// from the provider per request instead and not resolve these: once the start-up model is replaced they cannot be
/// resolved any more, and if they were resolved before, the start-up model stays in memory until shutdown.</para>
/// </remarks>
public static class IpgServiceCollectionExtensions
{
    /// <summary>
    /// Adds Ipg over an ONNX SASRec: the model at <c>ModelPath</c>, or the default model embedded in the package,
    /// with options bound from <paramref name="configuration"/> (e.g. the <c>"Ipg"</c> section). The model is loaded
    /// once — when the host starts (a model that cannot be loaded fails start-up), or on first use in a container
    /// without a host — and disposed with the container.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section holding <see cref="Ipg.Extensions.DependencyInjection.IpgServiceOptions"/>.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddIpg(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddIpgCore(builder => builder.Bind(configuration), null);
    }

    /// <summary>Adds Ipg over an ONNX SASRec (<c>ModelPath</c>, or the embedded default) with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddIpg(this IServiceCollection services, Action<Ipg.Extensions.DependencyInjection.IpgServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddIpgCore(builder => builder.Configure(configure), null);
    }

    /// <summary>Adds Ipg with options bound from <paramref name="configuration"/> (e.g. the <c>"Ipg"</c> section) over your own encoder.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section holding <see cref="Ipg.Extensions.DependencyInjection.IpgServiceOptions"/>.</param>
    /// <param name="encoderFactory">Builds the encoder once, when the host starts or on first use without a host (e.g. load an ONNX model).</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddIpg(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, Ipg.ISequentialEncoder> encoderFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(encoderFactory);
        return services.AddIpgCore(builder => builder.Bind(configuration), encoderFactory);
    }

    /// <summary>Adds Ipg with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="encoderFactory">Builds the encoder once, when the host starts or on first use without a host.</param>
    /// <param name="configure">Sets the options; defaults when null.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="encoderFactory"/> is null.</exception>
    public static IServiceCollection AddIpg(this IServiceCollection services, Func<IServiceProvider, Ipg.ISequentialEncoder> encoderFactory, Action<Ipg.Extensions.DependencyInjection.IpgServiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(encoderFactory);
        return services.AddIpgCore(builder => builder.Configure(configure ?? (_ => { })), encoderFactory);
    }

    private static IServiceCollection AddIpgCore(
        this IServiceCollection services,
        Action<OptionsBuilder<Ipg.Extensions.DependencyInjection.IpgServiceOptions>> configure,
        Func<IServiceProvider, Ipg.ISequentialEncoder>? encoderFactory)
    {
        var builder = services.AddOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>();
        configure(builder);
        builder.ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>, RerankerOptionsValidator>());

        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>>().Value;
            var loggers = sp.GetService<ILoggerFactory>();
            if (encoderFactory is null)
            {
                var logger = loggers?.CreateLogger("Ipg.Extensions.DependencyInjection");
                return new Ipg.Extensions.DependencyInjection.IpgModelProvider(options, path => Ipg.Extensions.DependencyInjection.ServiceModelLoader.Load(options, path, logger), loadsFiles: true, loggers);
            }

            return new Ipg.Extensions.DependencyInjection.IpgModelProvider(options, _ => new Ipg.Extensions.DependencyInjection.LoadedEncoder(encoderFactory(sp), null, null, "encoder factory"), loadsFiles: false, loggers);
        });

        // Under a host (ASP.NET Core, the generic host) the model is loaded and checked when the host starts, before the
        // first request: a model that cannot be loaded fails start-up rather than the first request.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, Ipg.Extensions.DependencyInjection.IpgModelStartup>());

        // The start-up model's parts, for services that never swap; pinned for the container's lifetime.
        services.TryAddSingleton(static sp => sp.GetRequiredService<Ipg.Extensions.DependencyInjection.IpgModelProvider>().PinStartupModel().Encoder);
        services.TryAddSingleton(static sp => sp.GetRequiredService<Ipg.Extensions.DependencyInjection.IpgModelProvider>().PinStartupModel().Reranker);
        services.TryAddSingleton(static sp => sp.GetRequiredService<Ipg.Extensions.DependencyInjection.IpgModelProvider>().PinStartupModel().Targets);
        return services;
    }

    /// <summary>
    /// Start-up check that the settings make valid re-ranker options and that the look-ahead fit file, when set,
    /// reads; the message says which setting or file is wrong. (Whether the fit belongs to the model is checked when
    /// the re-ranker is built, with the model loaded.)
    /// </summary>
    private sealed class RerankerOptionsValidator : IValidateOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>
    {
        public ValidateOptionsResult Validate(string? name, Ipg.Extensions.DependencyInjection.IpgServiceOptions options)
        {
            if (options.WatchModelFile && string.IsNullOrWhiteSpace(options.ModelPath))
            {
                return ValidateOptionsResult.Fail("Ipg:WatchModelFile needs Ipg:ModelPath: the file to watch.");
            }

            if (options.Encoder is null)
            {
                return ValidateOptionsResult.Fail("Ipg:Encoder is null: leave it out for the defaults.");
            }

            try
            {
                options.Encoder.Validate();
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail($"Ipg:Encoder:{e.ParamName} is out of range (see OnnxSasRecEncoderOptions): {e.Message}");
            }

            try
            {
                options.ToRerankerOptions();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail($"Ipg options are out of range (see IpgOptions.Validate): {e.Message}");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return ValidateOptionsResult.Fail($"Ipg:LookAheadFitPath \"{options.LookAheadFitPath}\" cannot be used: {e.Message}");
            }
        }
    }
}
