using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Ipg with a service collection.</summary>
/// <remarks>
/// Registers, as singletons: the <see cref="Ipg.ISequentialEncoder"/> built by the factory you pass
/// (disposed with the container when it is <see cref="IDisposable"/>), <see cref="Ipg.IpgReranker"/>
/// over it, and <see cref="Ipg.Extensions.DependencyInjection.IpgServiceOptions"/> validated with data
/// annotations and <see cref="Ipg.IpgOptions.Validate"/> when the host starts (<c>ValidateOnStart</c>).
/// </remarks>
public static class IpgServiceCollectionExtensions
{
    /// <summary>Adds Ipg with options bound from <paramref name="configuration"/> (e.g. the <c>"Ipg"</c> section).</summary>
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

    private static IServiceCollection AddIpgCore(
        this IServiceCollection services,
        Action<OptionsBuilder<Ipg.Extensions.DependencyInjection.IpgServiceOptions>> configure,
        Func<IServiceProvider, Ipg.ISequentialEncoder> encoderFactory)
    {
        var builder = services.AddOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>();
        configure(builder);
        builder.ValidateDataAnnotations()
            .Validate(
                static o =>
                {
                    try
                    {
                        o.ToRerankerOptions();
                        return true;
                    }
                    catch (ArgumentException)
                    {
                        return false;
                    }
                },
                "Ipg options are out of range (see IpgOptions.Validate).")
            .ValidateOnStart();

        services.TryAddSingleton(encoderFactory);
        services.TryAddSingleton(static sp => new Ipg.IpgReranker(
            sp.GetRequiredService<Ipg.ISequentialEncoder>(),
            sp.GetRequiredService<IOptions<Ipg.Extensions.DependencyInjection.IpgServiceOptions>>().Value.ToRerankerOptions(),
            sp.GetService<ILogger<Ipg.IpgReranker>>()));
        return services;
    }
}
