using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Ipg.Diagnostics;
using Ipg.Encoders.Managed;
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
/// disposed, never reused. A batch call rents its buffers from <see cref="ArrayPool{T}.Shared"/> and wraps them
/// for that call alone. ONNX Runtime writes the user embeddings straight into those buffers.</para>
/// <para><b>Numerics.</b> Results agree with the PyTorch model to about 1e-6 on the same CPU; expect
/// differences of that order across CPUs and ONNX Runtime versions (different kernels, FMA use).</para>
/// <para><b>Managed kernel.</b> With <see cref="OnnxSasRecEncoderOptions.Kernel"/> =
/// <see cref="SasRecKernel.Managed"/>, <see cref="Encode"/> and <see cref="EncodeBatch"/> run a managed SASRec
/// forward pass whose weights are read from the same ONNX bytes and which was checked against ONNX Runtime at
/// load (see <see cref="SasRecKernel.Managed"/>); everything else is unchanged.</para>
/// <para><b>Lifetime.</b> Dispose the encoder to release the native session. Calls that are already
/// running when <see cref="Dispose"/> is called finish normally and the session is released after the
/// last of them; every call that starts afterwards throws <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed class OnnxSasRecEncoder : ISequentialEncoder, IDisposable
{
    private const int DisposedBit = int.MinValue;

    private static readonly string[] s_inputNames = [OnnxSasRecContract.InputName];
    private static readonly string[] s_userOutputNames = [OnnxSasRecContract.UserOutputName];
    private static readonly string[] s_itemsOutputNames = [OnnxSasRecContract.ItemsOutputName];

    /// <summary>1 once <see cref="DisableOnnxRuntimeTelemetry"/> has run in this process.</summary>
    private static int s_telemetryDisabled;

    private readonly InferenceSession _session;
    private readonly ItemEmbeddingTable _items;
    private readonly OnnxSasRecEncoderMetadata _metadata;
    private readonly OnnxSasRecEncoderOptions _options;
    private readonly int _length;
    private readonly int _dimension;

    /// <summary>Bit 31: disposed; bits 0–30: calls in flight (the session is released when both say so).</summary>
    private int _state;

    /// <summary>The verified managed kernel when <see cref="OnnxSasRecEncoderOptions.Kernel"/> is Managed (set once, at load).</summary>
    private ManagedSasRecKernel? _kernel;

    /// <summary>Idle single-row run contexts (see <see cref="RowRunContext"/>); a null slot is empty or rented.</summary>
    private readonly RowRunContext?[] _rowContexts = new RowRunContext?[Math.Clamp(2 * Environment.ProcessorCount, 4, 64)];

    /// <summary>
    /// Idle multi-row run contexts (2..<see cref="PooledBatchRows"/> rows, e.g. the exact look-ahead's batches of M), kept
    /// apart from the single-row ones so that neither evicts the other; a slot holds a context of any row count.
    /// </summary>
    private readonly RowRunContext?[] _batchContexts = new RowRunContext?[Math.Clamp(2 * Environment.ProcessorCount, 4, 64)];

    /// <summary>Batches up to this many rows run through pooled contexts (no per-call garbage); larger ones (offline) do not.</summary>
    private const int PooledBatchRows = 64;

    private OnnxSasRecEncoder(InferenceSession session, OnnxSasRecEncoderMetadata metadata, ItemEmbeddingTable items, OnnxSasRecEncoderOptions options)
    {
        _session = session;
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

        return Create(options, source, so => new InferenceSession(full, so), () => File.ReadAllBytes(full));
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
        return LoadBytes(model, options, "(from a byte array)");
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
        return LoadBytes(buffer.ToArray(), options, "(from a stream)");
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
        return LoadBytes(buffer.ToArray(), options, "(from a stream)");
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
            if (_kernel is not null)
            {
                _kernel.Encode(history, destination);
                return;
            }

            long[] ids = ArrayPool<long>.Shared.Rent(_length);
            float[] output = ArrayPool<float>.Shared.Rent(_dimension);
            try
            {
                WriteRow(history, ids.AsSpan(0, _length));
                Run(ids, output, 1, CancellationToken.None);
                output.AsSpan(0, _dimension).CopyTo(destination);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(output);
                ArrayPool<long>.Shared.Return(ids);
            }
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
            int chunk = Math.Min(Math.Min(count, _options.MaxBatchSize), Array.MaxLength / Math.Max(_length, d));
            if (_kernel is not null)
            {
                ManagedSasRecKernelLoader.EncodeBatch(_kernel, histories, destination[..(count * d)], chunk, _options.BatchParallelism, cancellationToken);
                return;
            }

            if (_options.BatchParallelism > 1 && count > chunk)
            {
                EncodeChunksInParallel(histories, destination[..(count * d)], chunk, cancellationToken);
                return;
            }

            long[] ids = ArrayPool<long>.Shared.Rent(chunk * _length);
            float[] output = ArrayPool<float>.Shared.Rent(chunk * d);
            try
            {
                for (int start = 0; start < count; start += chunk)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int rows = Math.Min(chunk, count - start);
                    RunChunk(histories, start, rows, ids, output, cancellationToken);
                    output.AsSpan(0, rows * d).CopyTo(destination.Slice(start * d, rows * d));
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(output);
                ArrayPool<long>.Shared.Return(ids);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Pads histories <c>[start, start + rows)</c> into <paramref name="ids"/> and runs them into <paramref name="output"/>.</summary>
    private void RunChunk(IReadOnlyList<ReadOnlyMemory<int>> histories, int start, int rows, long[] ids, float[] output, CancellationToken cancellationToken)
    {
        for (int r = 0; r < rows; r++)
        {
            WriteRow(histories[start + r].Span, ids.AsSpan(r * _length, _length));
        }

        Run(ids, output, rows, cancellationToken);
    }

    /// <summary>Runs the chunks of one batch on up to <see cref="OnnxSasRecEncoderOptions.BatchParallelism"/> threads (validated input).</summary>
    private void EncodeChunksInParallel(IReadOnlyList<ReadOnlyMemory<int>> histories, Span<float> destination, int chunk, CancellationToken cancellationToken)
    {
        int count = histories.Count;
        int d = _dimension;
        int chunks = (count + chunk - 1) / chunk;
        float[] all = ArrayPool<float>.Shared.Rent(count * d);
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.BatchParallelism, CancellationToken = cancellationToken };
            Parallel.For(0, chunks, parallel, c =>
            {
                int start = c * chunk;
                int rows = Math.Min(chunk, count - start);
                long[] ids = ArrayPool<long>.Shared.Rent(rows * _length);
                float[] output = ArrayPool<float>.Shared.Rent(rows * d);
                try
                {
                    RunChunk(histories, start, rows, ids, output, cancellationToken);
                    output.AsSpan(0, rows * d).CopyTo(all.AsSpan(start * d, rows * d));
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(output);
                    ArrayPool<long>.Shared.Return(ids);
                }
            });
            all.AsSpan(0, count * d).CopyTo(destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(all);
        }
    }

    /// <summary>The element-wise sigmoid, matching SASRec's binary cross-entropy training.</summary>
    /// <param name="logits">The logits <c>ê_u · ê_i</c>.</param>
    /// <param name="destination">Receives one probability per logit; may be the same span as <paramref name="logits"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="logits"/>.</exception>
    /// <exception cref="ObjectDisposedException">The encoder is disposed.</exception>
    public void ComputeProbabilities(ReadOnlySpan<float> logits, Span<float> destination)
    {
        ThrowIfDisposed();
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
            ReleaseNative();
        }
    }

    private static OnnxSasRecEncoder LoadBytes(byte[] model, OnnxSasRecEncoderOptions options, string source)
    {
        if (model.Length == 0)
        {
            throw new InvalidDataException($"The ONNX model {source} is empty (0 bytes).");
        }

        // From bytes, ONNX Runtime resolves external data against the process's working directory (tested:
        // OnnxExternalDataTests), so a model could read any file there into its weights. A model that needs side
        // files must be loaded from its path, where they resolve inside its folder.
        if (OnnxProtoReader.FindExternalData(model) is { } external)
        {
            throw new InvalidDataException($"The ONNX model {source} keeps data outside itself: {external}. A model loaded from bytes or a stream has no folder to read it from; load it with OnnxSasRecEncoder.Load(path).");
        }

        return Create(options, source, so => new InferenceSession(model, so), () => model);
    }

    private static OnnxSasRecEncoder Create(OnnxSasRecEncoderOptions options, string source, Func<SessionOptions, InferenceSession> open, Func<byte[]> readModel)
    {
        InferenceSession session;
        using (var sessionOptions = CreateSessionOptions(options))
        {
            try
            {
                session = open(sessionOptions);
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException(
                    $"The ONNX model {source} could not be loaded by ONNX Runtime (empty, truncated, or not an ONNX model?): {e.Message}", e);
            }
        }

        OnnxSasRecEncoder? encoder = null;
        try
        {
            var metadata = OnnxSasRecContract.ReadMetadata(OnnxSasRecContract.ReadProperties(session, source), source);
            if (options.ExpectedItemCount is int expected && expected != metadata.ItemCount)
            {
                throw new ArgumentException(
                    $"The caller expects {expected} items (options.ExpectedItemCount) but the ONNX model {source} has ipg.item_count = {metadata.ItemCount}.",
                    nameof(options));
            }

            OnnxSasRecContract.CheckSignature(session.InputMetadata, session.OutputMetadata, metadata, source);
            var items = FetchItemTable(session, metadata, source);
            encoder = new OnnxSasRecEncoder(session, metadata, items, options);
            if (options.Kernel == SasRecKernel.Managed)
            {
                // Checked against this encoder's ONNX Runtime path, which Encode takes until _kernel is set.
                encoder._kernel = ManagedSasRecKernelLoader.Create(readModel(), metadata, encoder.Encode, source);
            }

            if (options.Warmup)
            {
                try
                {
                    encoder.Warmup();
                }
                catch (OnnxRuntimeException e)
                {
                    throw OnnxSasRecContract.Broken(source, $"running '{OnnxSasRecContract.UserOutputName}' on a full-length history failed: {e.Message}", e);
                }
            }

            return encoder;
        }
        catch
        {
            if (encoder is null)
            {
                session.Dispose();
            }
            else
            {
                encoder.Dispose();
            }

            throw;
        }
    }

    private static SessionOptions CreateSessionOptions(OnnxSasRecEncoderOptions options) =>
        CreateSessionOptions(options.IntraOpThreads, options.InterOpThreads, options.GraphOptimizationLevel);

    /// <summary>Session options for any Ipg model (also <see cref="OnnxIrnModel"/>), with ONNX Runtime's telemetry turned off first.</summary>
    internal static SessionOptions CreateSessionOptions(int intraOpThreads, int interOpThreads, GraphOptimizationLevel level)
    {
        DisableOnnxRuntimeTelemetry();
        var so = new SessionOptions();
        try
        {
            so.IntraOpNumThreads = intraOpThreads;
            so.InterOpNumThreads = interOpThreads;
            so.ExecutionMode = interOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL;
            so.GraphOptimizationLevel = level;
            return so;
        }
        catch
        {
            so.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Turns ONNX Runtime's telemetry events off, once, before the first session is created, through ONNX Runtime's
    /// own API (<see cref="OrtEnv.DisableTelemetryEvents"/>). The library changes nothing else in the process: in
    /// particular it does not touch the environment. The Linux build of ONNX Runtime also embeds a 1DS upload client
    /// (<c>mobile.events.data.microsoft.com</c>) that only stays out when <c>ORT_DISABLE_TELEMETRY=1</c> is in the
    /// process's environment when ONNX Runtime starts, which only the host can arrange (docs/reliability.md,
    /// "Telemetry: a host step").
    /// </summary>
    private static void DisableOnnxRuntimeTelemetry()
    {
        if (Interlocked.Exchange(ref s_telemetryDisabled, 1) != 0)
        {
            return;
        }

        OrtEnv.Instance().DisableTelemetryEvents();
    }

    /// <summary>Requests only <c>item_embeddings</c>, with one all-padding row as the (required) input.</summary>
    private static ItemEmbeddingTable FetchItemTable(InferenceSession session, OnnxSasRecEncoderMetadata metadata, string source)
    {
        var ids = new long[metadata.MaxLength];
        using var input = OrtValue.CreateTensorValueFromMemory(ids, [1, metadata.MaxLength]);
        using var runOptions = new RunOptions();
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = session.Run(runOptions, s_inputNames, [input], s_itemsOutputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw OnnxSasRecContract.Broken(source, $"fetching '{OnnxSasRecContract.ItemsOutputName}' with a padding-only batch failed: {e.Message}", e);
        }

        using (outputs)
        {
            return OnnxSasRecContract.ReadItemTable(outputs.First(), metadata, source);
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

    /// <summary>Runs <paramref name="rows"/> rows of <paramref name="ids"/>; ONNX Runtime writes into <paramref name="output"/>.</summary>
    private void Run(long[] ids, float[] output, int rows, CancellationToken cancellationToken)
    {
        if (rows <= PooledBatchRows)
        {
            RunRow(ids, output, rows, cancellationToken);
            return;
        }

        // Larger batches than the pooled contexts hold (offline work): per-call run objects, cheap next to the rows.
        long[] inputShape = [rows, _length];
        long[] outputShape = [rows, _dimension];
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ids.AsMemory(0, rows * _length), inputShape);
        using var user = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(0, rows * _dimension), outputShape);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((RunOptions)state!).Terminate = true, runOptions)
            : default;
        try
        {
            _session.Run(runOptions, s_inputNames, [input], s_userOutputNames, [user]);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>
    /// Runs one row through a pooled <see cref="RowRunContext"/>: no managed allocation and no native
    /// object created or released per call (the per-call <see cref="RunOptions"/> and <see cref="OrtValue"/>s of
    /// <see cref="Run"/> cost about 540 B of managed garbage per call and churn glibc's heap).
    /// </summary>
    private void RunRow(long[] ids, float[] output, int rows, CancellationToken cancellationToken)
    {
        RowRunContext context = RentRowContext(rows);
        bool reuse = false;
        try
        {
            ids.AsSpan(0, rows * _length).CopyTo(context.Ids);
            using (var registration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static state => ((RunOptions)state!).Terminate = true, context.RunOptions)
                : default)
            {
                try
                {
                    _session.RunWithBinding(context.RunOptions, context.Binding);
                }
                catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
            }

            context.Output.AsSpan().CopyTo(output);

            // The registration is disposed: if the token is still not cancelled, the callback never ran and never
            // will, so Terminate is unset and the run options can serve the next call.
            reuse = !cancellationToken.IsCancellationRequested;
        }
        finally
        {
            ReturnRowContext(context, reuse);
        }
    }

    private RowRunContext RentRowContext(int rows)
    {
        RowRunContext?[] slots = rows == 1 ? _rowContexts : _batchContexts;
        for (int i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is { } seen && seen.Rows == rows && Interlocked.CompareExchange(ref slots[i], null, seen) == seen)
            {
                return seen;
            }
        }

        return new RowRunContext(_session, _length, _dimension, rows);
    }

    /// <summary>Puts a context back in a free slot; disposes it when it must not be reused or every slot is taken.</summary>
    private void ReturnRowContext(RowRunContext context, bool reuse)
    {
        if (reuse)
        {
            RowRunContext?[] slots = context.Rows == 1 ? _rowContexts : _batchContexts;
            for (int i = 0; i < slots.Length; i++)
            {
                if (Interlocked.CompareExchange(ref slots[i], context, null) is null)
                {
                    return;
                }
            }
        }

        context.Dispose();
    }

    /// <summary>Releases the pooled run contexts, then the session (no call is in flight any more).</summary>
    private void ReleaseNative()
    {
        for (int i = 0; i < _batchContexts.Length; i++)
        {
            Interlocked.Exchange(ref _batchContexts[i], null)?.Dispose();
        }

        for (int i = 0; i < _rowContexts.Length; i++)
        {
            Interlocked.Exchange(ref _rowContexts[i], null)?.Dispose();
        }

        _session.Dispose();
    }

    /// <summary>
    /// Everything one run of <see cref="Rows"/> rows (1, or up to <see cref="PooledBatchRows"/>) needs, created once and reused: the input and output tensors over pinned
    /// arrays (on the pinned object heap), an <see cref="OrtIoBinding"/> that binds them to the model's
    /// <c>item_ids</c> and <c>user_embedding</c>, and the <see cref="RunOptions"/>. A context is used by one call at a
    /// time (rented from the encoder's pool); its run options are discarded once a cancellation may have set
    /// <see cref="RunOptions.Terminate"/>.
    /// </summary>
    private sealed class RowRunContext : IDisposable
    {
        private readonly OrtValue _input;
        private readonly OrtValue _user;

        public RowRunContext(InferenceSession session, int length, int dimension, int rows)
        {
            Rows = rows;
            Ids = GC.AllocateArray<long>(rows * length, pinned: true);
            Output = GC.AllocateArray<float>(rows * dimension, pinned: true);
            var created = new List<IDisposable>(4);
            try
            {
                _input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Ids.AsMemory(), [rows, length]);
                created.Add(_input);
                _user = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Output.AsMemory(), [rows, dimension]);
                created.Add(_user);
                RunOptions = new RunOptions();
                created.Add(RunOptions);
                Binding = session.CreateIoBinding();
                created.Add(Binding);
                Binding.BindInput(OnnxSasRecContract.InputName, _input);
                Binding.BindOutput(OnnxSasRecContract.UserOutputName, _user);
            }
            catch
            {
                for (int i = created.Count - 1; i >= 0; i--)
                {
                    created[i].Dispose();
                }

                throw;
            }
        }

        /// <summary>How many rows the context runs.</summary>
        public int Rows { get; }

        /// <summary>The input rows (rows × L ids), read by ONNX Runtime in place.</summary>
        public long[] Ids { get; }

        /// <summary>The user embeddings (rows × d values), written by ONNX Runtime in place.</summary>
        public float[] Output { get; }

        public RunOptions RunOptions { get; }

        public OrtIoBinding Binding { get; }

        public void Dispose()
        {
            Binding.Dispose();
            RunOptions.Dispose();
            _user.Dispose();
            _input.Dispose();
        }
    }

    /// <summary>
    /// Writes one validated history into a row of <c>row.Length</c> = L slots: the most recent L items,
    /// left-padded with 0 so that the most recent item is in the last slot.
    /// </summary>
    internal static void WriteRow(ReadOnlySpan<int> history, Span<long> row)
    {
        int length = row.Length;
        if (history.Length > length)
        {
            history = history[^length..];
        }

        int pad = length - history.Length;
        row[..pad].Clear();
        for (int k = 0; k < history.Length; k++)
        {
            row[pad + k] = history[k];
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
            ReleaseNative();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) < 0, this);
}
