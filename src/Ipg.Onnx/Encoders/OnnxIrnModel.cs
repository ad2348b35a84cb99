using System.Buffers;
using System.Collections.ObjectModel;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace Ipg.Encoders;

/// <summary>
/// An ONNX-exported IRN (<c>tools/irn</c>, Zhu et al., "Influential Recommender System", ICDE 2023) run with ONNX
/// Runtime: a transformer over the history with the target appended as a last slot and a personalised
/// impressionability mask, scoring the next item. The model must follow the target-conditioned contract of
/// <c>docs/irn.md</c> (inputs <c>item_ids</c> int64 [batch, L] left-padded, <c>target_ids</c> and <c>user_ids</c>
/// int64 [batch]; outputs <c>scores</c> float32 [batch, N] and <c>impressionability</c> float32 [batch];
/// metadata <c>ipg.model = irn</c>, <c>ipg.contract = 1</c>, …), which is checked at load.
/// </summary>
/// <remarks>
/// <para><b>Threading.</b> One <see cref="InferenceSession"/> is shared by all calls (its <c>Run</c> is thread-safe);
/// every call builds its own <see cref="OrtValue"/>s over buffers rented for that call. A batch is cut into chunks
/// of <see cref="ChunkRows"/> rows that run on up to <c>maxParallelRuns</c> threads.</para>
/// <para><b>Numerics.</b> Scores agree with the PyTorch model to about 1e-6 (fixtures: 1e-5).</para>
/// <para><b>Lifetime.</b> Dispose the model to release the native session, after the last call has returned.</para>
/// </remarks>
public sealed class OnnxIrnModel : ITargetConditionedScorer, IDisposable
{
    /// <summary>Rows per ONNX Runtime run.</summary>
    public const int ChunkRows = 64;

    private const string ItemsInput = "item_ids";
    private const string TargetsInput = "target_ids";
    private const string UsersInput = "user_ids";
    private const string ScoresOutput = "scores";
    private const string FactorOutput = "impressionability";

    private static readonly string[] s_inputNames = [ItemsInput, TargetsInput, UsersInput];
    private static readonly string[] s_outputNames = [ScoresOutput, FactorOutput];

    private readonly InferenceSession _session;
    private readonly int _parallelRuns;
    private int _disposed;

    private OnnxIrnModel(InferenceSession session, IReadOnlyDictionary<string, string> metadata, int parallelRuns)
    {
        _session = session;
        _parallelRuns = parallelRuns;
        Metadata = metadata;
        MaxHistoryLength = PositiveInt(metadata, "ipg.max_length");
        ItemCount = PositiveInt(metadata, "ipg.item_count");
        UserCount = PositiveInt(metadata, "ipg.user_count");
        HiddenSize = PositiveInt(metadata, "ipg.hidden_size");
        TrainingLogSha256 = metadata.TryGetValue("ipg.training_log_sha256", out var log) ? log : "";
        Producer = metadata.TryGetValue("ipg.producer", out var producer) ? producer : "";
    }

    /// <inheritdoc />
    public int ItemCount { get; }

    /// <inheritdoc />
    public int UserCount { get; }

    /// <inheritdoc />
    public int MaxHistoryLength { get; }

    /// <summary>d, the model's hidden size (<c>ipg.hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>SHA-256 of the interaction log the model was trained on (<c>ipg.training_log_sha256</c>; empty when unknown).</summary>
    public string TrainingLogSha256 { get; }

    /// <summary>What exported the model (<c>ipg.producer</c>).</summary>
    public string Producer { get; }

    /// <summary>All <c>metadata_props</c> of the model.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Loads a model and checks it against the contract.</summary>
    /// <param name="path">Path of the <c>.onnx</c> file.</param>
    /// <param name="maxParallelRuns">Chunks run in parallel (≥ 1), each with one ONNX Runtime thread; default: the core count.</param>
    /// <returns>The model; dispose it to release the native session.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxParallelRuns"/> is below 1.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model ONNX Runtime can load, or breaks the contract.</exception>
    public static OnnxIrnModel Load(string path, int? maxParallelRuns = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int parallel = maxParallelRuns ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1, nameof(maxParallelRuns));
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"No ONNX model at '{full}'.", full);
        }

        InferenceSession session;
        using (var options = Onnx.OnnxSasRecLoader.CreateSessionOptions(1, 1, GraphOptimizationLevel.ORT_ENABLE_ALL))
        {
            try
            {
                session = new InferenceSession(full, options);
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException($"ONNX Runtime cannot load '{full}': {e.Message}", e);
            }
        }

        try
        {
            var metadata = new ReadOnlyDictionary<string, string>(Onnx.OnnxSasRecContract.ReadProperties(session, $"'{full}'"));
            CheckContract(session, metadata, $"'{full}'");
            return new OnnxIrnModel(session, metadata, parallel);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public void ScoreBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, ReadOnlySpan<int> targetIds, ReadOnlySpan<int> userIds, Span<float> scores, CancellationToken cancellationToken = default) =>
        ScoreBatch(histories, targetIds, userIds, scores, default, cancellationToken);

    /// <summary>Scores the next item for each row, and writes each row's impressionability factor r_u.</summary>
    /// <param name="histories">One history per row, oldest first; ids <c>1..N</c>.</param>
    /// <param name="targetIds">One target per row, <c>1..N</c>.</param>
    /// <param name="userIds">One user per row, <c>0..U</c> (0 = unknown: the mean factor).</param>
    /// <param name="scores">Receives rows × N scores, row-major; entry <c>c</c> is item <c>c + 1</c>.</param>
    /// <param name="impressionability">Receives one factor per row, or empty to skip.</param>
    /// <param name="cancellationToken">Cancels between chunks.</param>
    /// <exception cref="ArgumentNullException"><paramref name="histories"/> is null.</exception>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An item, target or user id is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public void ScoreBatch(IReadOnlyList<ReadOnlyMemory<int>> histories, ReadOnlySpan<int> targetIds, ReadOnlySpan<int> userIds, Span<float> scores, Span<float> impressionability, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(histories);
        int rows = histories.Count;
        if (targetIds.Length != rows || userIds.Length != rows)
        {
            throw new ArgumentException($"Expected {rows} targets and users (one per history), got {targetIds.Length} and {userIds.Length}.", nameof(targetIds));
        }

        int n = ItemCount;
        if (scores.Length < (long)rows * n)
        {
            throw new ArgumentException($"The destination needs {rows} × {n} values, got {scores.Length}.", nameof(scores));
        }

        if (!impressionability.IsEmpty && impressionability.Length < rows)
        {
            throw new ArgumentException($"The factor destination needs {rows} values, got {impressionability.Length}.", nameof(impressionability));
        }

        int length = MaxHistoryLength;
        long[] ids = ArrayPool<long>.Shared.Rent(Math.Max(1, rows * length));
        long[] targets = ArrayPool<long>.Shared.Rent(Math.Max(1, rows));
        long[] users = ArrayPool<long>.Shared.Rent(Math.Max(1, rows));
        float[] output = ArrayPool<float>.Shared.Rent(Math.Max(1, rows * n));
        float[] factors = ArrayPool<float>.Shared.Rent(Math.Max(1, rows));
        try
        {
            for (int r = 0; r < rows; r++)
            {
                if ((uint)(targetIds[r] - 1) >= (uint)n)
                {
                    throw new ArgumentOutOfRangeException(nameof(targetIds), targetIds[r], $"Target {r} is {targetIds[r]}; item ids are 1..{n}.");
                }

                if ((uint)userIds[r] > (uint)UserCount)
                {
                    throw new ArgumentOutOfRangeException(nameof(userIds), userIds[r], $"User {r} is {userIds[r]}; user ids are 0..{UserCount} (0 = unknown).");
                }

                WriteRow(histories[r].Span, ids.AsSpan(r * length, length), r);
                targets[r] = targetIds[r];
                users[r] = userIds[r];
            }

            if (rows == 0)
            {
                return;
            }

            int chunks = (rows + ChunkRows - 1) / ChunkRows;
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _parallelRuns, CancellationToken = cancellationToken };
            Parallel.For(0, chunks, parallel, c =>
            {
                int start = c * ChunkRows;
                int count = Math.Min(ChunkRows, rows - start);
                Run(ids.AsMemory(start * length, count * length), targets.AsMemory(start, count), users.AsMemory(start, count), output.AsMemory(start * n, count * n), factors.AsMemory(start, count), count, cancellationToken);
            });
            output.AsSpan(0, rows * n).CopyTo(scores);
            if (!impressionability.IsEmpty)
            {
                factors.AsSpan(0, rows).CopyTo(impressionability);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(factors);
            ArrayPool<float>.Shared.Return(output);
            ArrayPool<long>.Shared.Return(users);
            ArrayPool<long>.Shared.Return(targets);
            ArrayPool<long>.Shared.Return(ids);
        }
    }

    /// <summary>Releases the native session.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
        }
    }

    private void Run(Memory<long> ids, Memory<long> targets, Memory<long> users, Memory<float> scores, Memory<float> factors, int rows, CancellationToken cancellationToken)
    {
        using var idsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ids, [rows, MaxHistoryLength]);
        using var targetsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, targets, [rows]);
        using var usersValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, users, [rows]);
        using var scoresValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, scores, [rows, ItemCount]);
        using var factorsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, factors, [rows]);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((RunOptions)state!).Terminate = true, runOptions)
            : default;
        try
        {
            _session.Run(runOptions, s_inputNames, [idsValue, targetsValue, usersValue], s_outputNames, [scoresValue, factorsValue]);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>The most recent L ids, left-padded with 0 (the contract's layout).</summary>
    private void WriteRow(ReadOnlySpan<int> history, Span<long> row, int index)
    {
        foreach (int id in history)
        {
            if ((uint)(id - 1) >= (uint)ItemCount)
            {
                throw new ArgumentOutOfRangeException("histories", id, $"History {index} holds id {id}; item ids are 1..{ItemCount}.");
            }
        }

        var kept = history.Length > row.Length ? history[^row.Length..] : history;
        int pad = row.Length - kept.Length;
        row[..pad].Clear();
        for (int i = 0; i < kept.Length; i++)
        {
            row[pad + i] = kept[i];
        }
    }

    private static void CheckContract(InferenceSession session, IReadOnlyDictionary<string, string> metadata, string source)
    {
        Require(metadata, "ipg.model", "irn", source);
        Require(metadata, "ipg.contract", "1", source);
        Require(metadata, "ipg.id_convention", "one_based_zero_padding", source);
        Require(metadata, "ipg.padding_side", "left", source);
        foreach (string key in new[] { "ipg.max_length", "ipg.item_count", "ipg.user_count", "ipg.hidden_size" })
        {
            PositiveInt(metadata, key, source);
        }

        int length = PositiveInt(metadata, "ipg.max_length", source);
        int items = PositiveInt(metadata, "ipg.item_count", source);
        CheckNode(session.InputMetadata, ItemsInput, typeof(long), [-1, length], "input", source);
        CheckNode(session.InputMetadata, TargetsInput, typeof(long), [-1], "input", source);
        CheckNode(session.InputMetadata, UsersInput, typeof(long), [-1], "input", source);
        CheckNode(session.OutputMetadata, ScoresOutput, typeof(float), [-1, items], "output", source);
        CheckNode(session.OutputMetadata, FactorOutput, typeof(float), [-1], "output", source);
    }

    private static void CheckNode(IReadOnlyDictionary<string, NodeMetadata> nodes, string name, Type element, int[] dims, string kind, string source)
    {
        if (!nodes.TryGetValue(name, out var node))
        {
            throw new InvalidDataException($"The IRN model {source} has no {kind} '{name}' (it has: {string.Join(", ", nodes.Keys)}).");
        }

        if (node.ElementType != element || node.Dimensions.Length != dims.Length)
        {
            throw new InvalidDataException($"The IRN model {source}: {kind} '{name}' is {node.ElementType.Name}[{string.Join(", ", node.Dimensions)}], expected {element.Name} of rank {dims.Length}.");
        }

        for (int i = 1; i < dims.Length; i++)
        {
            if (node.Dimensions[i] != dims[i])
            {
                throw new InvalidDataException($"The IRN model {source}: {kind} '{name}' has dimension {i} = {node.Dimensions[i]}, expected {dims[i]} (from the metadata).");
            }
        }
    }

    private static void Require(IReadOnlyDictionary<string, string> metadata, string key, string expected, string source)
    {
        if (!metadata.TryGetValue(key, out var value) || value != expected)
        {
            throw new InvalidDataException($"The model {source} is not an Ipg IRN export: metadata '{key}' is '{value ?? "(missing)"}', expected '{expected}'.");
        }
    }

    private static int PositiveInt(IReadOnlyDictionary<string, string> metadata, string key, string source = "")
    {
        if (!metadata.TryGetValue(key, out var value) || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) || parsed < 1)
        {
            throw new InvalidDataException($"The IRN model {source}: metadata '{key}' is '{value ?? "(missing)"}', not a positive integer.");
        }

        return parsed;
    }
}
