using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ipg.Extensions.DependencyInjection;

/// <summary>
/// Loads the served model when the host starts: resolving <see cref="IpgModelProvider"/> loads, checks and warms it,
/// so a model that cannot be served fails start-up instead of the first request. Registered by <c>AddIpg</c>.
/// </summary>
internal sealed class IpgModelStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _ = services.GetRequiredService<IpgModelProvider>().Current;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
