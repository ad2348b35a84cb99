namespace Ipg.Extensions.DependencyInjection;

/// <summary>
/// One loaded version of the served model: its encoder, the re-ranker over it, the target cache over its item
/// table, and its version. <see cref="IpgModelProvider"/> hands these out inside an <see cref="IpgModelLease"/>;
/// everything a request needs comes from one <see cref="IpgModel"/>, so a response never mixes two model versions.
/// </summary>
/// <remarks>
/// Reference-counted: the provider holds one reference while the model is current, every lease one more. The
/// encoder is disposed (when it is <see cref="IDisposable"/>) once the model has been replaced and its last lease
/// is disposed, never while a request still uses it.
/// </remarks>
public sealed class IpgModel
{
    private readonly Action<IpgModel> _retired;
    private int _references = 1;

    internal IpgModel(ISequentialEncoder encoder, IpgReranker reranker, GuidanceTargetCache targets, string? sha256, string version, string source, long generation, Action<IpgModel> retired)
    {
        Encoder = encoder;
        Reranker = reranker;
        Targets = targets;
        Sha256 = sha256;
        Version = version;
        Source = source;
        Generation = generation;
        LoadedAt = DateTimeOffset.UtcNow;
        _retired = retired;
    }

    /// <summary>The model's encoder.</summary>
    public ISequentialEncoder Encoder { get; }

    /// <summary>The re-ranker over <see cref="Encoder"/>, with the configured options.</summary>
    public IpgReranker Reranker { get; }

    /// <summary>Prepared targets over <see cref="Encoder"/>'s item table (each model version has its own).</summary>
    public GuidanceTargetCache Targets { get; }

    /// <summary>The SHA-256 of the model's bytes (lower-case hex) when it was loaded from ONNX bytes; null for a custom encoder.</summary>
    public string? Sha256 { get; }

    /// <summary>
    /// The version a service reports: the first 16 hex digits of <see cref="Sha256"/>, or for a custom encoder
    /// the version its loader gave (by default <c>custom-</c> and <see cref="Generation"/>).
    /// </summary>
    public string Version { get; }

    /// <summary>Where the model came from: the full path of its file, "embedded default", or what a custom loader said.</summary>
    public string Source { get; }

    /// <summary>1 for the model loaded at start-up, one more for every swap since.</summary>
    public long Generation { get; }

    /// <summary>When the model was loaded (UTC).</summary>
    public DateTimeOffset LoadedAt { get; }

    /// <summary>True once the model has been replaced and its last lease released (its encoder is then disposed).</summary>
    public bool IsRetired => Volatile.Read(ref _references) == 0;

    /// <inheritdoc/>
    public override string ToString() => $"{Version} (generation {Generation}, {Source})";

    /// <summary>Takes a reference unless the model is already retired.</summary>
    internal bool TryAddReference()
    {
        int current = Volatile.Read(ref _references);
        while (current > 0)
        {
            int seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops a reference; the last one disposes the encoder.</summary>
    internal void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            (Encoder as IDisposable)?.Dispose();
            _retired(this);
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("An Ipg model was released more often than it was acquired.");
        }
    }
}

/// <summary>
/// A request's hold on one <see cref="IpgModel"/>: take it with <see cref="IpgModelProvider.Acquire"/>, use
/// <see cref="Model"/> for the whole request, dispose it when the response is written. Disposing twice is harmless.
/// </summary>
public sealed class IpgModelLease : IDisposable
{
    private IpgModel? _model;

    internal IpgModelLease(IpgModel model) => _model = model;

    /// <summary>The model this lease holds.</summary>
    /// <exception cref="ObjectDisposedException">The lease is disposed.</exception>
    public IpgModel Model => _model ?? throw new ObjectDisposedException(nameof(IpgModelLease), "This lease on an Ipg model was disposed; acquire a new one.");

    /// <summary>Releases the model (the last release of a replaced model disposes its encoder).</summary>
    public void Dispose() => Interlocked.Exchange(ref _model, null)?.Release();
}
