using Microsoft.ML.OnnxRuntime;

namespace Ipg.Encoders;

/// <summary>
/// Options of <see cref="OnnxSasRecEncoder"/>. Immutable once built; validated when the encoder loads.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> The default is one intra-op thread and one inter-op thread per call. A SASRec
/// forward pass over one chunk of users is a handful of small matrix products (d ≈ 50, L ≈ 200); splitting
/// it over several threads costs about as much in synchronisation as it saves, and a service that encodes
/// for many concurrent requests already has every core busy with other calls, so ONNX Runtime's default
/// (one thread per core inside every call) oversubscribes the machine. Scale with concurrent calls to
/// the one shared session instead; raise <see cref="IntraOpThreads"/> only for a process that encodes
/// one large batch at a time (offline scoring), and measure. One thread also makes results bit-for-bit
/// reproducible from run to run.</para>
/// </remarks>
public sealed record OnnxSasRecEncoderOptions
{
    /// <summary>The defaults: one intra-op and one inter-op thread, all graph optimisations, chunks of 32 users, warm-up on.</summary>
    public static OnnxSasRecEncoderOptions Default { get; } = new();

    /// <summary>
    /// Threads ONNX Runtime may use inside one call (≥ 1). Default 1 (see the remarks of
    /// <see cref="OnnxSasRecEncoderOptions"/>): the calling thread does the work.
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>
    /// Threads that run independent graph branches in parallel (≥ 1). Default 1, which runs the graph
    /// sequentially; a value above 1 switches the session to <see cref="ExecutionMode.ORT_PARALLEL"/>.
    /// SASRec's graph is a chain of blocks, so this rarely helps.
    /// </summary>
    public int InterOpThreads { get; init; } = 1;

    /// <summary>Graph optimisations applied when the session is created. Default <see cref="GraphOptimizationLevel.ORT_ENABLE_ALL"/>.</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// The most users sent to ONNX Runtime in one call (≥ 1); <see cref="OnnxSasRecEncoder.EncodeBatch"/>
    /// splits larger batches into chunks of this size and checks for cancellation between chunks.
    /// Default 32.
    /// </summary>
    /// <remarks>
    /// A SASRec export computes every one of the L positions (the whole sequence is one matrix per
    /// user), so batching adds no arithmetic efficiency, while a chunk's attention scores
    /// (chunk × heads × L × L floats) leave the CPU caches when the chunk is large. Measured on the
    /// ML-1M pmixer model (L = 200, d = 50) with one thread, 512 users took about 1.5–2.5× longer in one
    /// chunk of 512 than in chunks of 8–32; chunks of 1 pay the per-call overhead instead.
    /// </remarks>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>
    /// How many chunks of one <see cref="OnnxSasRecEncoder.EncodeBatch"/> call run concurrently (≥ 1), each an
    /// independent <c>Run</c> on the shared session. Default 1: a service already encodes concurrent requests in
    /// parallel. Raise it (e.g. to the core count, with <see cref="IntraOpThreads"/> = 1) for offline jobs that
    /// encode thousands of users per call, such as the guidance simulation.
    /// </summary>
    public int BatchParallelism { get; init; } = 1;

    /// <summary>
    /// The item count N the caller expects the model to have, or null to accept the model's own
    /// <c>ipg.item_count</c>. A mismatch refuses the model with an <see cref="ArgumentException"/>.
    /// </summary>
    public int? ExpectedItemCount { get; init; }

    /// <summary>
    /// Whether to run one full-length history through the session at load, so the first request does
    /// not pay for ONNX Runtime's lazy allocations and kernel preparation. Default true.
    /// </summary>
    public bool Warmup { get; init; } = true;

    /// <summary>
    /// Which code runs the forward pass. Default <see cref="SasRecKernel.Auto"/>: the managed SASRec kernel (faster
    /// for one user at a time) when it recognises the model and reproduces ONNX Runtime at load, otherwise ONNX
    /// Runtime; <see cref="SasRecKernel.Managed"/> and <see cref="SasRecKernel.OnnxRuntime"/> force one (a model the
    /// managed kernel cannot run is then refused). With the managed kernel the ONNX Runtime session is still created
    /// (contract checks, the item table, the load-time check), the thread and optimisation options apply to that
    /// session only, and <see cref="MaxBatchSize"/> and <see cref="BatchParallelism"/> keep their meaning for
    /// <see cref="OnnxSasRecEncoder.EncodeBatch"/>.
    /// </summary>
    public SasRecKernel Kernel { get; init; } = SasRecKernel.Auto;

    /// <summary>
    /// Called with ONNX Runtime's session options after Ipg has set its own (threads, execution mode, optimisation
    /// level) and before the session is created: append an execution provider — e.g.
    /// <c>o => o.AppendExecutionProvider_CUDA(0)</c> with ONNX Runtime's CUDA build referenced (README, "ONNX
    /// Runtime's GPU or another build") — or change any other session option. Default null. An exception it throws
    /// propagates from the load unchanged, and the session options are released. Code only: configuration binding
    /// leaves it null.
    /// </summary>
    /// <remarks>
    /// With <see cref="SasRecKernel.Managed"/> the session it configures is the one the managed kernel is checked
    /// against at load; requests then run on the CPU in managed code.
    /// </remarks>
    public Action<SessionOptions>? ConfigureSession { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A thread count, the batch size or the batch parallelism is below 1, the expected item count is below 1, or the optimisation level or kernel is undefined.</exception>
    public void Validate()
    {
        if (IntraOpThreads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "At least one intra-op thread is needed.");
        }

        if (InterOpThreads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(InterOpThreads), InterOpThreads, "At least one inter-op thread is needed.");
        }

        if (MaxBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "A chunk must hold at least one user.");
        }

        if (BatchParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchParallelism), BatchParallelism, "At least one chunk must run at a time.");
        }

        if (ExpectedItemCount is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ExpectedItemCount), ExpectedItemCount, "A model has at least one item.");
        }

        if (!Enum.IsDefined(GraphOptimizationLevel))
        {
            throw new ArgumentOutOfRangeException(nameof(GraphOptimizationLevel), GraphOptimizationLevel, "Unknown graph optimisation level.");
        }

        if (!Enum.IsDefined(Kernel))
        {
            throw new ArgumentOutOfRangeException(nameof(Kernel), Kernel, "Unknown SASRec kernel.");
        }
    }
}
