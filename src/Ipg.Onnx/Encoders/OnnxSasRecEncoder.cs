using System.Buffers;
using System.Numerics.Tensors;
using Ipg.Diagnostics;
using Ipg.Encoders.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Ipg.Encoders;

/// <summary>
/// The default <see cref="ISequentialEncoder"/>: an ONNX-exported SASRec run with ONNX Runtime. The model
/// must follow the Ipg SASRec contract (<c>docs/onnx-contract.md</c>): input <c>item_ids</c> (int64
/// [batch, L], ids <c>1..N</c>, 0 = padding, left-padded), outputs <c>user_embedding</c> (float32
/// [batch, d]) and <c>item_embeddings</c> (float32 [N + 1, d]), and the <c>ipg.*</c> metadata. The contract
/// is checked at load; a model that breaks it is refused.
/// </summary>
/// <remarks>
/// <para><b>Histories.</b> Histories are given oldest first. A history longer than L =
/// <see cref="MaxHistoryLength"/> keeps its L most recent items (SASRec reads only L positions); a shorter
/// one is padded with 0 on the left, so the most recent item is always in the last column, whose hidden
/// state is the user representation. An empty history is valid (an all-padding row).</para>
/// <para><b>Threading.</b> One <see cref="InferenceSession"/> is shared by all calls (its <c>Run</c> is
/// thread-safe). A single-user <see cref="Encode"/> takes a run context (pinned id and output buffers, the
/// <see cref="OrtValue"/>s over them, an I/O binding and <see cref="RunOptions"/>) from a small pool and returns
/// it afterwards, so it allocates nothing in steady state; a context whose call may have been cancelled is
/// disposed, never reused. A batch runs in chunks (one chunker for both kernels), each rented from
/// <see cref="ArrayPool{T}.Shared"/>; ONNX Runtime writes the user embeddings straight into those buffers.</para>
/// <para><b>Inside.</b> This class checks arguments, records telemetry, chunks batches and manages the lifetime;
/// loading and the contract checks, the ONNX Runtime pass with its run-context pool, the managed kernel and the
/// batch chunker are each their own internal type (<c>OnnxSasRecLoader</c>, <c>OnnxRuntimeForward</c>,
/// <c>ManagedSasRecKernel</c>, <c>BatchChunker</c>).</para>
/// <para><b>Numerics.</b> Results agree with the PyTorch model to about 1e-6 on the same CPU; expect
/// differences of that order across CPUs and ONNX Runtime versions (different kernels, FMA use).</para>
/// <para><b>Managed kernel.</b> With <see cref="OnnxSasRecEncoderOptions.Kernel"/> =
/// <see cref="SasRecKernel.Managed"/>, <see cref="Encode"/> and <see cref="EncodeBatch"/> run a managed SASRec
/// forward pass whose weights are read from the same ONNX bytes and which was checked against ONNX Runtime at
/// load (see <see cref="SasRecKernel.Managed"/>); once it has passed, the ONNX Runtime session is released, since the
/// item table was fetched at load. Everything else is unchanged.</para>
/// <para><b>Lifetime.</b> Dispose the encoder to release the native session (if the ONNX Runtime pass holds one). Calls that are already
/// running when <see cref="Dispose"/> is called finish normally and the session is released after the
/// last of them; every call that starts afterwards throws <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed class OnnxSasRecEncoder : ISequentialEncoder, IDisposable
{
    private const int DisposedBit = int.MinValue;

    private readonly IUserForward _forward;
    private readonly ItemEmbeddingTable _items;
    private readonly OnnxSasRecEncoderMetadata _metadata;
    private readonly OnnxSasRecEncoderOptions _options;
    private readonly int _length;
    private readonly int _dimension;

    private readonly SasRecKernel _kernel;
    private readonly string _kernelChoice;

    /// <summary>Bit 31: disposed; bits 0–30: calls in flight (the forward pass is released when both say so).</summary>
    private int _state;

    /// <summary>Takes ownership of <paramref name="forward"/> (built and checked by <see cref="OnnxSasRecLoader"/>).</summary>
    internal OnnxSasRecEncoder(OnnxSasRecEncoderMetadata metadata, ItemEmbeddingTable items, OnnxSasRecEncoderOptions options, IUserForward forward, SasRecKernel kernel, string kernelChoice)
    {
        _forward = forward;
        _kernel = kernel;
        _kernelChoice = kernelChoice;
        _metadata = metadata;
        _items = items;
        _options = options;
        _length = metadata.MaxLength;
        _dimension = metadata.HiddenSize;
    }

    /// <summary>The contract metadata of the loaded model.</summary>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public OnnxSasRecEncoderMetadata Metadata
    {
        get
        {
            ThrowIfDisposed();
            return _metadata;
        }
    }

    /// <summary>
    /// The forward pass in use: <see cref="SasRecKernel.Managed"/> or <see cref="SasRecKernel.OnnxRuntime"/> (never
    /// <see cref="SasRecKernel.Auto"/>, which resolves to one of them at load).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public SasRecKernel Kernel
    {
        get
        {
            ThrowIfDisposed();
            return _kernel;
        }
    }

    /// <summary>
    /// One line saying which forward pass runs and why, e.g. "ONNX Runtime (Kernel = Auto): … not a SASRec graph it
    /// recognises"; the line a host logs at start-up (the DI package and the <c>ipg</c> tool do).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public string KernelChoice
    {
        get
        {
            ThrowIfDisposed();
            return _kernelChoice;
        }
    }

    /// <summary>The options the encoder was loaded with.</summary>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public OnnxSasRecEncoderOptions Options
    {
        get
        {
            ThrowIfDisposed();
            return _options;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public int ItemCount
    {
        get
        {
            ThrowIfDisposed();
            return _items.ItemCount;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public int Dimension
    {
        get
        {
            ThrowIfDisposed();
            return _dimension;
        }
    }

    /// <summary>The model's history length L (<c>ipg.max_length</c>); longer histories keep their L most recent items.</summary>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public int MaxHistoryLength
    {
        get
        {
            ThrowIfDisposed();
            return _length;
        }
    }

    /// <summary>The model's item table (the <c>item_embeddings</c> output, fetched once at load; row 0 = padding).</summary>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public ItemEmbeddingTable ItemEmbeddings
    {
        get
        {
            ThrowIfDisposed();
            return _items;
        }
    }

    /// <summary>Loads a model from a file and checks it against the contract.</summary>
    /// <param name="path">Path of the <c>.onnx</c> file.</param>
    /// <param name="options">Session and batching options; <see cref="OnnxSasRecEncoderOptions.Default"/> when null.</param>
    /// <returns>The encoder; dispose it to release the native session.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or the model's item count is not <see cref="OnnxSasRecEncoderOptions.ExpectedItemCount"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not an ONNX model ONNX Runtime can load, or breaks the contract.</exception>
    /// <exception cref="NotSupportedException">The managed kernel was requested and does not recognise or reproduce the model.</exception>
    public static OnnxSasRecEncoder Load(string path, OnnxSasRecEncoderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxSasRecEncoderOptions.Default;
        options.Validate();
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"No ONNX model at '{full}'.", full);
        }

        string source = $"'{full}'";
        if (new FileInfo(full).Length == 0)
        {
            throw new InvalidDataException($"The ONNX model {source} is an empty file.");
        }

        return OnnxSasRecLoader.Create(options, source, so => new InferenceSession(full, so), () => File.ReadAllBytes(full));
    }

    /// <summary>Loads a model from its serialised bytes and checks it against the contract.</summary>
    /// <param name="model">The <c>.onnx</c> file's content.</param>
    /// <param name="options">Session and batching options; <see cref="OnnxSasRecEncoderOptions.Default"/> when null.</param>
    /// <returns>The encoder; dispose it to release the native session.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">The model's item count is not <see cref="OnnxSasRecEncoderOptions.ExpectedItemCount"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidDataException">The bytes are empty, not an ONNX model ONNX Runtime can load, or break the contract.</exception>
    /// <exception cref="NotSupportedException">The managed kernel was requested and does not recognise or reproduce the model.</exception>
    public static OnnxSasRecEncoder Load(byte[] model, OnnxSasRecEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= OnnxSasRecEncoderOptions.Default;
        options.Validate();
        return OnnxSasRecLoader.LoadBytes(model, options, "(from a byte array)");
    }

    /// <summary>Reads a model from a stream (to its end) and checks it against the contract.</summary>
    /// <param name="stream">A readable stream positioned at the start of the model; not disposed.</param>
    /// <param name="options">Session and batching options; <see cref="OnnxSasRecEncoderOptions.Default"/> when null.</param>
    /// <returns>The encoder; dispose it to release the native session.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable, or the model's item count is not <see cref="OnnxSasRecEncoderOptions.ExpectedItemCount"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidDataException">The stream is empty, not an ONNX model ONNX Runtime can load, or breaks the contract.</exception>
    /// <exception cref="NotSupportedException">The managed kernel was requested and does not recognise or reproduce the model.</exception>
    public static OnnxSasRecEncoder Load(Stream stream, OnnxSasRecEncoderOptions? options = null)
    {
        ValidateStream(stream);
        options ??= OnnxSasRecEncoderOptions.Default;
        options.Validate();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return OnnxSasRecLoader.LoadBytes(buffer.ToArray(), options, "(from a stream)");
    }

    /// <summary>
    /// Reads a model from a stream asynchronously (to its end), then creates the session and checks the
    /// contract on the calling thread.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the start of the model; not disposed.</param>
    /// <param name="options">Session and batching options; <see cref="OnnxSasRecEncoderOptions.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The encoder; dispose it to release the native session.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable, or the model's item count is not <see cref="OnnxSasRecEncoderOptions.ExpectedItemCount"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidDataException">The stream is empty, not an ONNX model ONNX Runtime can load, or breaks the contract.</exception>
    /// <exception cref="NotSupportedException">The managed kernel was requested and does not recognise or reproduce the model.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<OnnxSasRecEncoder> LoadAsync(Stream stream, OnnxSasRecEncoderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateStream(stream);
        options ??= OnnxSasRecEncoderOptions.Default;
        options.Validate();
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return OnnxSasRecLoader.LoadBytes(buffer.ToArray(), options, "(from a stream)");
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed to run the model.</exception>
    public void Encode(ReadOnlySpan<int> history, Span<float> destination)
    {
        Enter();
        try
        {
            if (destination.Length < _dimension)
            {
                throw new ArgumentException($"The destination needs {_dimension} values, got {destination.Length}.", nameof(destination));
            }

            _items.ValidateItemIds(history, nameof(history));
            IpgTelemetry.EncoderBatchSize.Record(1);
            _forward.Encode(history, destination);
        }
        finally
        {
            Exit();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Every id of every history is checked before anything runs, so a bad id leaves
    /// <paramref name="destination"/> untouched. The histories are then sent to ONNX Runtime in chunks of
    /// <see cref="OnnxSasRecEncoderOptions.MaxBatchSize"/>; cancellation is checked before each chunk and
    /// also stops the chunk that is running (through <see cref="RunOptions.Terminate"/>). When cancelled,
    /// the rows of the chunks already finished are valid.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed to run the model.</exception>
    public void EncodeBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, Span<float> destination, CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            ArgumentNullException.ThrowIfNull(histories);
            int count = histories.Count;
            int d = _dimension;
            if (destination.Length < (long)count * d)
            {
                throw new ArgumentException($"The destination needs {count} × {d} values, got {destination.Length}.", nameof(destination));
            }

            for (int u = 0; u < count; u++)
            {
                ValidateHistory(histories[u].Span, u);
            }

            if (count == 0)
            {
                return;
            }

            IpgTelemetry.EncoderBatchSize.Record(count);
            using var activity = IpgTelemetry.Source.StartActivity("Ipg.Encode");
            activity?.SetTag("ipg.batch_size", count);
            int chunk = BatchChunker.ChunkSize(count, _options.MaxBatchSize, _length, d);
            BatchChunker.Encode(
                _forward,
                static (forward, h, start, rows, slice, token) => forward.EncodeChunk(h, start, rows, slice, token),
                histories,
                destination[..(count * d)],
                d,
                chunk,
                _options.BatchParallelism,
                cancellationToken);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The model's acceptance function (<see cref="OnnxSasRecEncoderMetadata.Acceptance"/>): the element-wise sigmoid, as
    /// SASRec is trained, or for a model declaring <c>ipg.acceptance = softmax</c> the softmax over the given logits (one
    /// user's catalogue or candidate list).
    /// </summary>
    /// <param name="logits">One user's logits <c>ê_u · ê_i (+ b_i)</c>.</param>
    /// <param name="destination">Receives one probability per logit; may be the same span as <paramref name="logits"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="logits"/>.</exception>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public void ComputeProbabilities(ReadOnlySpan<float> logits, Span<float> destination)
    {
        ThrowIfDisposed();
        if (_metadata.Acceptance == AcceptanceFunction.Softmax)
        {
            if (destination.Length < logits.Length)
            {
                throw new ArgumentException($"The destination needs {logits.Length} values, got {destination.Length}.", nameof(destination));
            }

            if (!logits.IsEmpty)
            {
                TensorPrimitives.SoftMax(logits, destination[..logits.Length]);
            }

            return;
        }

        TensorPrimitives.Sigmoid(logits, destination);
    }

    /// <summary>
    /// Runs one full-length history through the session, so that ONNX Runtime's lazy allocations happen
    /// now rather than in the first request. Called at load unless <see cref="OnnxSasRecEncoderOptions.Warmup"/> is false.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public void Warmup()
    {
        Enter();
        try
        {
            Span<int> history = _length <= 1024 ? stackalloc int[_length] : new int[_length];
            for (int k = 0; k < history.Length; k++)
            {
                history[k] = (k % _items.ItemCount) + 1;
            }

            Span<float> user = _dimension <= 1024 ? stackalloc float[_dimension] : new float[_dimension];
            Encode(history, user);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Releases the native session (after the calls still running, if any). Idempotent; every member
    /// called afterwards throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        int before = Interlocked.Or(ref _state, DisposedBit);
        if (before == 0)
        {
            _forward.Dispose();
        }
    }

    private static void ValidateStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        }
    }

    private void ValidateHistory(ReadOnlySpan<int> history, int user)
    {
        int n = _items.ItemCount;
        for (int k = 0; k < history.Length; k++)
        {
            if ((uint)(history[k] - 1) >= (uint)n)
            {
                throw new ArgumentOutOfRangeException(
                    "histories", history[k], $"History {user}: item id at position {k} is {history[k]}; valid ids are 1..{n} (0 is padding).");
            }
        }
    }

    private void Enter()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            ObjectDisposedException.ThrowIf(state < 0, this);
            if (Interlocked.CompareExchange(ref _state, state + 1, state) == state)
            {
                return;
            }
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _state) == DisposedBit)
        {
            _forward.Dispose();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) < 0, this);
}
