using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ipg.Extensions.DependencyInjection;

/// <summary>
/// The served model, replaceable while the service runs. Each request takes a lease (<see cref="Acquire"/>) and
/// uses that one <see cref="IpgModel"/> throughout; <see cref="Reload"/>, <see cref="Swap"/> or a change of the
/// model file (with <see cref="IpgServiceOptions.WatchModelFile"/>) loads, checks and warms a new model, then swaps it
/// in atomically. Requests already holding the old model finish on it; its encoder is disposed after the last of
/// them. A model that fails to load or check is refused and the current one keeps serving. Thread-safe; a
/// singleton registered by <c>AddIpg</c> and disposed with the container.
/// </summary>
/// <example>
/// <code language="csharp">
/// app.MapPost("/recommendations", (Request request, IpgModelProvider models) =&gt;
/// {
///     using var lease = models.Acquire();
///     var model = lease.Model;                     // one model version for the whole request
///     var ranked = model.Reranker.Recommend(request.History, model.Targets.GetOrPrepare(request.Target), 10);
///     return Results.Ok(new { model.Version, ranked });
/// });
/// </code>
/// </example>
public sealed class IpgModelProvider : IDisposable
{
    private readonly IpgServiceOptions _options;
    private readonly Func<string?, LoadedEncoder> _load;
    private readonly bool _loadsFiles;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ILogger? _logger;
    private readonly object _reloadGate = new();
    private readonly Timer? _watch;
    private IpgModel _current;
    private IpgModel? _pinned;
    private long _generation;
    private int _live;
    private int _polling;
    private (long Length, DateTime WrittenUtc) _seenFile;
    private bool _disposed;

    internal IpgModelProvider(IpgServiceOptions options, Func<string?, LoadedEncoder> load, bool loadsFiles, ILoggerFactory? loggerFactory)
    {
        _options = options;
        _load = load;
        _loadsFiles = loadsFiles;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory?.CreateLogger("Ipg.Extensions.DependencyInjection");
        var first = load(null);
        try
        {
            _current = Build(first);
        }
        catch
        {
            (first.Encoder as IDisposable)?.Dispose();
            throw;
        }

        if (options.WatchModelFile)
        {
            if (!loadsFiles || string.IsNullOrWhiteSpace(options.ModelPath))
            {
                _current.Release();
                throw new InvalidOperationException("Ipg:WatchModelFile needs Ipg:ModelPath set and the built-in ONNX loader (AddIpg without an encoder factory).");
            }

            _seenFile = Stamp(options.ModelPath!);
            _watch = new Timer(_ => Poll(), null, options.ModelPollInterval, options.ModelPollInterval);
        }
    }

    /// <summary>The model serving now. To use it for a request, take a lease (<see cref="Acquire"/>) instead: the model may be replaced and disposed at any moment.</summary>
    public IpgModel Current => Volatile.Read(ref _current);

    /// <summary>Models loaded and not yet retired: the current one, plus replaced ones whose requests are still running (and the start-up model while it is pinned; see the remarks of <c>AddIpg</c>).</summary>
    public int LiveModels => Volatile.Read(ref _live);

    /// <summary>Takes a lease on the current model. Dispose it when the request is done. Never blocks.</summary>
    /// <returns>A lease whose <see cref="IpgModelLease.Model"/> stays usable until it is disposed.</returns>
    /// <exception cref="ObjectDisposedException">The provider is disposed.</exception>
    public IpgModelLease Acquire()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var model = Volatile.Read(ref _current);
            if (model.TryAddReference())
            {
                return new IpgModelLease(model);
            }

            // Retired between the read and the reference: a newer model is current by now.
        }
    }

    /// <summary>
    /// Loads the model again (from <paramref name="modelPath"/>, or the configured <c>Ipg:ModelPath</c> / embedded
    /// default / encoder factory), checks it (the ONNX contract, <c>Ipg:Encoder:ExpectedItemCount</c>, the look-ahead fit),
    /// warms it with one request, and swaps it in. On failure the current model keeps serving.
    /// </summary>
    /// <param name="modelPath">An ONNX file to load instead of the configured one; null for the configured source.</param>
    /// <returns>The new current model.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is set but the encoder comes from your own factory.</exception>
    /// <exception cref="ObjectDisposedException">The provider is disposed.</exception>
    /// <exception cref="IOException">The file cannot be read, or changed while it was read (write it elsewhere and rename it into place).</exception>
    /// <exception cref="InvalidDataException">The model is not a valid ONNX SASRec, or the configured look-ahead fit belongs to another model.</exception>
    /// <exception cref="NotSupportedException">The managed kernel is configured and cannot run the model.</exception>
    public IpgModel Reload(string? modelPath = null)
    {
        if (modelPath is not null && !_loadsFiles)
        {
            throw new ArgumentException("The encoder comes from your own factory: reload without a path (the factory is called again), or build the encoder and call Swap.", nameof(modelPath));
        }

        lock (_reloadGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                return Install(_load(modelPath));
            }
            catch (Exception e) when (_logger is not null)
            {
                Log.ModelReloadFailed(_logger, modelPath ?? _options.ModelPath ?? "embedded default", Current.Version, e);
                throw;
            }
        }
    }

    /// <summary>Runs <see cref="Reload"/> on the thread pool.</summary>
    /// <param name="modelPath">An ONNX file to load instead of the configured one; null for the configured source.</param>
    /// <param name="cancellationToken">Cancels before the load starts (a load in progress completes).</param>
    /// <returns>The new current model.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the load started.</exception>
    public Task<IpgModel> ReloadAsync(string? modelPath = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Reload(modelPath), cancellationToken);

    /// <summary>
    /// Swaps in an encoder you built (from any source): checks it against the configured look-ahead fit, warms it,
    /// and makes it current. The provider owns it from here on and disposes it once it is replaced and idle — even
    /// when the check fails.
    /// </summary>
    /// <param name="encoder">The new encoder.</param>
    /// <param name="version">The version responses report (e.g. a hash or a release tag).</param>
    /// <param name="source">Where it came from, for logs and <see cref="IpgModel.Source"/>; default "swapped in".</param>
    /// <returns>The new current model.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="encoder"/> or <paramref name="version"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="version"/> is empty or white space.</exception>
    /// <exception cref="ObjectDisposedException">The provider is disposed.</exception>
    /// <exception cref="InvalidDataException">The configured look-ahead fit belongs to another model.</exception>
    public IpgModel Swap(ISequentialEncoder encoder, string version, string source = "swapped in")
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentNullException.ThrowIfNull(source);
        lock (_reloadGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Install(new LoadedEncoder(encoder, null, version, source));
        }
    }

    /// <summary>Stops watching the file and releases the current model (disposed once its last lease is released).</summary>
    public void Dispose()
    {
        lock (_reloadGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _watch?.Dispose();
        Interlocked.Exchange(ref _pinned, null)?.Release();
        Volatile.Read(ref _current).Release();
    }

    /// <summary>
    /// Keeps the start-up model alive for the container's lifetime: the <see cref="IpgReranker"/>,
    /// <see cref="ISequentialEncoder"/> and <see cref="GuidanceTargetCache"/> singletons are that model's.
    /// </summary>
    internal IpgModel PinStartupModel()
    {
        lock (_reloadGate)
        {
            if (_pinned is not null)
            {
                return _pinned;
            }

            var current = Volatile.Read(ref _current);
            if (current.Generation != 1 || !current.TryAddReference())
            {
                throw new InvalidOperationException(
                    "The model loaded at start-up has been replaced, so the IpgReranker / ISequentialEncoder / GuidanceTargetCache singletons "
                    + "(which are the start-up model's) are no longer available: resolve IpgModelProvider and take a lease per request.");
            }

            _pinned = current;
            return current;
        }
    }

    private IpgModel Install(LoadedEncoder loaded)
    {
        IpgModel next;
        try
        {
            next = Build(loaded);
        }
        catch
        {
            (loaded.Encoder as IDisposable)?.Dispose();
            throw;
        }

        var previous = Interlocked.Exchange(ref _current, next);
        if (_logger is not null)
        {
            Log.ModelSwapped(_logger, previous.Version, next.Version, next.Generation, next.Source);
        }

        previous.Release();
        return next;
    }

    private IpgModel Build(LoadedEncoder loaded)
    {
        var encoder = loaded.Encoder;
        var fit = _options.LoadLookAheadFit();
        fit?.EnsureMatches(encoder);
        var reranker = new IpgReranker(encoder, _options.ToRerankerOptions(fit), _loggerFactory?.CreateLogger<IpgReranker>());
        var targets = new GuidanceTargetCache(encoder, _options.TargetCacheCapacity);

        // Warm-up: the first request on a fresh session pays for its allocation; pay it here, before the swap.
        Span<float> user = new float[encoder.Dimension];
        encoder.Encode([1], user);

        long generation = Interlocked.Increment(ref _generation);
        string version = loaded.Version ?? (loaded.Sha256 is { } sha ? sha[..16] : $"custom-{generation}");
        var model = new IpgModel(encoder, reranker, targets, loaded.Sha256, version, loaded.Source, generation, Retired);
        Interlocked.Increment(ref _live);
        return model;
    }

    private void Retired(IpgModel model)
    {
        Interlocked.Decrement(ref _live);
        if (_logger is not null)
        {
            Log.ModelRetired(_logger, model.Version, model.Generation);
        }
    }

    private void Poll()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return;
        }

        try
        {
            string path = _options.ModelPath!;
            string sha;
            try
            {
                var stamp = Stamp(path);
                if (stamp == _seenFile || stamp.Length == 0)
                {
                    return;
                }

                _seenFile = stamp;
                sha = ServiceModelLoader.HashFile(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (_logger is not null)
                {
                    Log.ModelReloadFailed(_logger, path, Current.Version, e);
                }

                return;
            }

            if (sha != Current.Sha256)
            {
                Reload();
            }
        }
#pragma warning disable CA1031 // A timer callback must not throw: that would end the process. Reload has logged the reason.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Refused: the current model keeps serving and the next change of the file is tried.
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    private static (long Length, DateTime WrittenUtc) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (0, default);
    }
}

/// <summary>What a loader produced: the encoder and how to name it.</summary>
internal readonly record struct LoadedEncoder(ISequentialEncoder Encoder, string? Sha256, string? Version, string Source);
