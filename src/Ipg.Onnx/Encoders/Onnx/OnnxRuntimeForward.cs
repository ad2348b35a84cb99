using System.Buffers;
using Microsoft.ML.OnnxRuntime;

namespace Ipg.Encoders.Onnx;

/// <summary>
/// The ONNX Runtime forward pass of <see cref="OnnxSasRecEncoder"/>: one <see cref="InferenceSession"/> (its <c>Run</c> is
/// thread-safe) and two pools of run contexts, single rows and small batches (up to <see cref="PooledBatchRows"/> rows),
/// so that a request allocates nothing in steady state. A context whose call may have been cancelled is disposed, never
/// reused. Larger (offline) chunks create their run objects per call.
/// </summary>
internal sealed class OnnxRuntimeForward : IUserForward
{
    /// <summary>Batches up to this many rows run through pooled contexts (no per-call garbage); larger ones (offline) do not.</summary>
    internal const int PooledBatchRows = 64;

    private static readonly string[] s_inputNames = [OnnxSasRecContract.InputName];
    private static readonly string[] s_userOutputNames = [OnnxSasRecContract.UserOutputName];

    private readonly InferenceSession _session;
    private readonly int _length;
    private readonly int _dimension;

    /// <summary>Idle single-row run contexts (see <see cref="RowRunContext"/>); a null slot is empty or rented.</summary>
    private readonly RowRunContext?[] _rowContexts = new RowRunContext?[Math.Clamp(2 * Environment.ProcessorCount, 4, 64)];

    /// <summary>
    /// Idle multi-row run contexts (2..<see cref="PooledBatchRows"/> rows, e.g. the exact look-ahead's batches of M), kept
    /// apart from the single-row ones so that neither evicts the other; a slot holds a context of any row count.
    /// </summary>
    private readonly RowRunContext?[] _batchContexts = new RowRunContext?[Math.Clamp(2 * Environment.ProcessorCount, 4, 64)];

    /// <summary>Takes ownership of <paramref name="session"/> (disposed by <see cref="Dispose"/>).</summary>
    public OnnxRuntimeForward(InferenceSession session, int length, int dimension)
    {
        _session = session;
        _length = length;
        _dimension = dimension;
    }

    /// <inheritdoc />
    public void Encode(ReadOnlySpan<int> history, Span<float> destination)
    {
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

    /// <inheritdoc />
    public void EncodeChunk(IReadOnlyList<ReadOnlyMemory<int>> histories, int start, int rows, Span<float> destination, CancellationToken cancellationToken)
    {
        long[] ids = ArrayPool<long>.Shared.Rent(rows * _length);
        float[] output = ArrayPool<float>.Shared.Rent(rows * _dimension);
        try
        {
            for (int r = 0; r < rows; r++)
            {
                WriteRow(histories[start + r].Span, ids.AsSpan(r * _length, _length));
            }

            Run(ids, output, rows, cancellationToken);
            output.AsSpan(0, rows * _dimension).CopyTo(destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(output);
            ArrayPool<long>.Shared.Return(ids);
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
    /// <see cref="Run"/> for large batches cost about 540 B of managed garbage per call and churn glibc's heap).
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

    /// <summary>Releases the pooled run contexts, then the session (the encoder calls this after the last call in flight).</summary>
    public void Dispose()
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
}
