using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Ipg with a service collection.</summary>
/// <remarks>
/// Registers, as singletons: the <see cref="Ipg.ISequentialEncoder"/> built by the factory you pass
/// (disposed with the container when it is <see cref="IDisposable"/>), <see cref="Ipg.IpgReranker"/>
/// over it, a <see cref="Ipg.GuidanceTargetCache"/> over its item table, and <see cref="Ipg.Extensions.DependencyInjection.IpgServiceOptions"/> validated with data
/// annotations and <see cref="Ipg.IpgOptions.Validate"/> when the host starts (<c>ValidateOnStart</c>).
/// </remarks>
public static class IpgServiceCollectionExtensions
{
    /// <summary>
    /// Adds Ipg over an ONNX SASRec: the model at <c>ModelPath</c>, or the default model embedded in the package,
    /// with options bound from <paramref name="configuration"/> (e.g. the <c>"Ipg"</c> section). The model is loaded
    /// once, on first use, and disposed with the container.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section holding <see cref="Ipg.Extensions.DependencyInjection.IpgServiceOptions"/>.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddIpg(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddIpgCore(builder => builder.Bind(configuration), LoadOnnxEncoder);
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
        return services.AddIpgCore(builder => builder.Configure(configure), LoadOnnxEncoder);
    }

    /// <summary>Adds Ipg with options bound from <paramref name="configuration"/> (e.g. the <c>"Ipg"</c> section) over your own encoder.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section holding <see cref="Ipg.Extensions.DependencyInjection.IpgServiceOptions"/>.</param>
    /// <param name="encoderFactory">Builds the encoder once, on first use (e.g. load an ONNX model).</param>
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
    /// <param name="encoderFactory">Builds the encoder once, on first use.</param>
    /// <param name="configure">Sets the options; defaults when null.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="encoderFactory"/> is null.</exception>
    public static IServiceCollection AddIpg(this IServiceCollection services, Func<IServiceProvider, Ipg.ISequentialEncoder> encoderFactory, Action<Ipg.Extensions.DependencyInjection.IpgServiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(encoderFactory);
        return services.AddIpgCore(builder => builder.Configure(configure ?? (_ => { })), encoderFactory);
    }

    private static Ipg.ISequentialEncoder LoadOnnxEncoder(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>>().Value;
        var logger = provider.GetService<ILoggerFactory>()?.CreateLogger("Ipg.Extensions.DependencyInjection");
        var encoderOptions = Ipg.Encoders.OnnxSasRecEncoderOptions.Default with
        {
            IntraOpThreads = options.IntraOpThreads,
            Kernel = options.Kernel,
            ExpectedItemCount = options.ExpectedItemCount,
        };
        try
        {
            var encoder = string.IsNullOrWhiteSpace(options.ModelPath)
                ? Ipg.Encoders.SasRecDefaultModel.Load(encoderOptions)
                : Ipg.Encoders.OnnxSasRecEncoder.Load(options.ModelPath, encoderOptions);
            if (logger is not null)
            {
                Log.ModelLoaded(logger, string.IsNullOrWhiteSpace(options.ModelPath) ? "embedded default" : options.ModelPath, encoder.ItemCount, encoder.Dimension, encoder.MaxHistoryLength, encoder.Metadata.Layout);
            }

            return encoder;
        }
        catch (Exception e) when (logger is not null && e is IOException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            Log.ModelLoadFailed(logger, options.ModelPath ?? "embedded default", e);
            throw;
        }
    }

    private static IServiceCollection AddIpgCore(
        this IServiceCollection services,
        Action<OptionsBuilder<Ipg.Extensions.DependencyInjection.IpgServiceOptions>> configure,
        Func<IServiceProvider, Ipg.ISequentialEncoder> encoderFactory)
    {
        var builder = services.AddOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>();
        configure(builder);
        builder.ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>, RerankerOptionsValidator>());

        services.TryAddSingleton(encoderFactory);
        services.TryAddSingleton(static sp =>
        {
            var encoder = sp.GetRequiredService<Ipg.ISequentialEncoder>();
            var options = sp.GetRequiredService<IOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>>().Value;
            var fit = options.LoadLookAheadFit();
            fit?.EnsureMatches(encoder);
            return new Ipg.IpgReranker(encoder, options.ToRerankerOptions(fit), sp.GetService<ILogger<Ipg.IpgReranker>>());
        });
        services.TryAddSingleton(static sp => new Ipg.GuidanceTargetCache(
            sp.GetRequiredService<Ipg.ISequentialEncoder>(),
            sp.GetRequiredService<IOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>>().Value.TargetCacheCapacity));
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
