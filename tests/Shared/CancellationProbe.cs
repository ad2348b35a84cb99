using System.Diagnostics;

namespace Ipg.Tests.Shared;

/// <summary>
/// Cancels an operation from another thread while it runs and measures how long it takes to throw. Shared (as a
/// linked file) by the test projects that check cancellation (docs/reliability.md).
/// </summary>
internal static class CancellationProbe
{
    /// <summary>How long after the cancel request a call must have thrown (generous: a shared 2-core VM under load).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    /// <summary>How long after the call starts the cancel is requested.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// <see cref="Measure"/> with <see cref="Delay"/>, logging the latency through <paramref name="log"/> and asserting it is
    /// below <see cref="Bound"/>.
    /// </summary>
    public static TimeSpan AssertPrompt(Action<string> log, string what, Action<CancellationToken> call)
    {
        var latency = Measure(call, Delay, TimeSpan.FromSeconds(60));
        log($"{what}: threw {latency.TotalMilliseconds:F0} ms after the cancel");
        latency.Should().BeLessThan(Bound, what);
        return latency;
    }

    /// <summary>
    /// Runs <paramref name="call"/> over and over (so that a fast machine cannot finish the workload before the
    /// cancel arrives) until it throws, cancels after <paramref name="delay"/> from a dedicated thread, and returns
    /// the time from the cancel to the throw. A dedicated thread rather than CancelAfter: a timer callback needs a
    /// thread-pool thread, and the operations under test keep the pool busy on a 2-core machine.
    /// </summary>
    /// <exception cref="InvalidOperationException">The call never observed the cancellation within <paramref name="giveUp"/>.</exception>
    public static TimeSpan Measure(Action<CancellationToken> call, TimeSpan delay, TimeSpan giveUp)
    {
        using var cts = new CancellationTokenSource();
        long cancelledAt = 0;
        var canceller = new Thread(() =>
        {
            Thread.Sleep(delay);
            Volatile.Write(ref cancelledAt, Stopwatch.GetTimestamp());
            cts.Cancel();
        });
        canceller.Start();
        var watch = Stopwatch.StartNew();
        try
        {
            while (watch.Elapsed < giveUp)
            {
                call(cts.Token);
            }

            throw new InvalidOperationException($"The call ran for {giveUp} without observing the cancellation.");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            long thrownAt = Stopwatch.GetTimestamp();
            return Stopwatch.GetElapsedTime(Volatile.Read(ref cancelledAt), thrownAt);
        }
        finally
        {
            // Never dispose the source while the canceller may still call Cancel on it.
            canceller.Join();
        }
    }
}
