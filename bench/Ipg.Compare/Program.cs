using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Ipg;
using Ipg.Encoders;
using Ipg.Policies;
using Ipg.Simulation;
using Ipg.Simulation.Guidance;
using Ipg.Simulation.Metrics;

// The C# side of tools/bench/compare.sh: the same three workloads as tools/bench/torch_reference.py, on the same
// model weights and the same inputs (the simulator state and log written by `ipg collect-log`), through the
// library's public API. One JSON line per measurement on stdout: {"side":"csharp","workload":...,"threads":T,"rep":k,"ms":...}.
//
//   single_request  IpgReranker.Recommend(history, target, 10): encode one full-length history (the last L clicks
//                   of the log), logits over all N items, IPG score (IpgOptions.Paper), top-10; ms per request
//                   (median of --requests requests per repetition)
//   batch_encode    OnnxSasRecEncoder.EncodeBatch over every user's history (window of the last L clicks)
//   guidance_round  rounds 0, 1, 2, ... of one guidance run for --target, each round doing all the work of the
//                   research code: EncodeBatch over ALL users, IpgPolicy.Recommend (IPG scores, exclusion mask,
//                   argmax per user), TopicSimulator.Step, exclusions and clicked items appended (sliding window);
//                   also per phase: round_encode, round_score, round_simulate
//   runner_round    (informational, C# only, --workloads ...,runner) GuidanceRunner.RunTarget over --runner-rounds
//                   rounds: the library's own loop, which re-encodes only the users who clicked and records the
//                   metrics; reported as ms per round (second run: the shared round-0 encodings are cached)
//
// Threads: --threads T sets ONNX Runtime's intra-op threads to T (unless --intra-op says otherwise) and caps the .NET thread pool (which runs the
// per-user scoring loop) at T workers; the work runs on a pool thread so that the main thread stays idle. For the cap
// to hold below the core count, start the process with DOTNET_PROCESSOR_COUNT=T (compare.sh does).
//
//   dotnet bench/Ipg.Compare/bin/Release/net10.0/Ipg.Compare.dll --state STATE --log LOG [--target ID] [--threads T]
//       [--reps R] [--requests N] [--workloads single,batch,round[,runner]] [--chunk C] [--batch-parallelism P]
//       [--kernel ort|managed] [--model PATH] [--dump DIR] [--runner-rounds 20] [--intra-op N] [--label csharp]
// --batch-parallelism P with --intra-op 1 is the library's recommended way to use P cores for large offline batches
// (OnnxSasRecEncoderOptions.BatchParallelism); --label names the "side" of the JSON lines (e.g. csharp-bp2).
var opt = Options.Parse(args);
if (opt is null)
{
    return 2;
}

if (opt.Threads < Environment.ProcessorCount)
{
    Console.Error.WriteLine($"note: --threads {opt.Threads} below the processor count {Environment.ProcessorCount}: set DOTNET_PROCESSOR_COUNT={opt.Threads} to cap the thread pool.");
}
else
{
    ThreadPool.GetMaxThreads(out _, out int io);
    ThreadPool.SetMinThreads(opt.Threads, Math.Min(opt.Threads, io));
    if (!ThreadPool.SetMaxThreads(opt.Threads, io))
    {
        Console.Error.WriteLine("note: could not cap the thread pool.");
    }
}

return await Task.Run(() => Bench.Run(opt)).ConfigureAwait(false);

internal sealed record Options(
    string State,
    string Log,
    int? Target,
    string? Model,
    int Threads,
    int Reps,
    int Requests,
    HashSet<string> Workloads,
    int Chunk,
    int BatchParallelism,
    string Kernel,
    string? Dump,
    int RunnerRounds,
    int IntraOp,
    string Label)
{
    public static Options? Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"Ipg.Compare: unexpected argument '{args[i]}' (options are --name value).");
                return null;
            }

            map[args[i][2..]] = args[++i];
        }

        string Get(string name, string fallback) => map.TryGetValue(name, out var v) ? v : fallback;
        int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        if (!map.ContainsKey("state") || !map.ContainsKey("log"))
        {
            Console.Error.WriteLine("usage: Ipg.Compare --state STATE --log LOG [--target ID] [--threads T] [--reps R] [--requests N] [--workloads single,batch,round,runner] [--chunk C] [--batch-parallelism P] [--kernel ort|managed] [--model PATH] [--dump DIR] [--runner-rounds N] [--intra-op N] [--label NAME]");
            return null;
        }

        return new Options(
            map["state"],
            map["log"],
            map.TryGetValue("target", out var t) ? int.Parse(t, CultureInfo.InvariantCulture) : null,
            map.GetValueOrDefault("model"),
            Int("threads", 1),
            Int("reps", 3),
            Int("requests", 200),
            [.. Get("workloads", "single,batch,round").Split(',', StringSplitOptions.RemoveEmptyEntries)],
            Int("chunk", OnnxSasRecEncoderOptions.Default.MaxBatchSize),
            Int("batch-parallelism", 1),
            Get("kernel", "ort"),
            map.GetValueOrDefault("dump"),
            Int("runner-rounds", 20),
            Int("intra-op", Int("threads", 1)),
            Get("label", "csharp"));
    }
}

internal static class Bench
{
    public static int Run(Options opt)
    {
        var encoderOptions = OnnxSasRecEncoderOptions.Default with
        {
            IntraOpThreads = opt.IntraOp,
            MaxBatchSize = opt.Chunk,
            BatchParallelism = opt.BatchParallelism,
        };

        // The encoder's forward pass: ONNX Runtime ("ort") or the managed SASRec kernel ("managed").
        switch (opt.Kernel)
        {
            case "ort":
                break;
            case "managed":
                encoderOptions = encoderOptions with { Kernel = SasRecKernel.Managed };
                break;
            default:
                Console.Error.WriteLine($"Ipg.Compare: --kernel must be 'ort' or 'managed', got '{opt.Kernel}'.");
                return 2;
        }

        using var encoder = opt.Model is null ? SasRecDefaultModel.Load(encoderOptions) : OnnxSasRecEncoder.Load(opt.Model, encoderOptions);
        var start = TopicSimulator.Load(opt.State);
        int users = start.UserCount;
        int n = encoder.ItemCount;
        int d = encoder.Dimension;
        int length = encoder.MaxHistoryLength;
        if (start.ItemCount != n)
        {
            Console.Error.WriteLine($"Ipg.Compare: the model knows {n} items, the simulator {start.ItemCount}.");
            return 2;
        }

        var log = InteractionLogFormat.Read(opt.Log);
        var initial = InteractionLogFormat.ToSequences(log, users);
        int targetId = opt.Target ?? GuidanceExperiment.SampleTargets(n, 50, 2024)[0];
        var reranker = new IpgReranker(encoder, IpgOptions.Paper);
        var policy = new IpgPolicy(reranker);
        var target = reranker.PrepareTarget(targetId);

        Emit(new()
        {
            ["side"] = opt.Label,
            ["kind"] = "info",
            ["threads"] = opt.Threads,
            ["intra_op_threads"] = opt.IntraOp,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["processor_count"] = Environment.ProcessorCount,
            ["target"] = targetId,
            ["users"] = users,
            ["items"] = n,
            ["chunk"] = opt.Chunk,
            ["batch_parallelism"] = opt.BatchParallelism,
            ["kernel"] = opt.Kernel,
            ["state_sha256"] = start.ComputeStateHash(),
        });

        if (opt.Dump is not null)
        {
            DumpRounds(opt.Dump, encoder, policy, target, start, initial, targetId);
            return 0;
        }

        if (opt.Workloads.Contains("single"))
        {
            // A full-length history: the last L clicks of the log (torch_reference.py uses the same).
            var history = log.Skip(Math.Max(0, log.Count - length)).Select(x => x.Item).ToArray();
            var times = new double[opt.Requests];
            WarmUp(() => reranker.Recommend(history, target, 10));
            for (int rep = 0; rep <= opt.Reps; rep++)
            {
                RankedItem[] top = [];
                for (int r = 0; r < opt.Requests; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    top = reranker.Recommend(history, target, 10);
                    times[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }

                if (rep > 0)
                {
                    Emit(Row(opt, "single_request", rep, Median(times), ("requests", opt.Requests), ("top1", top[0].ItemId)));
                }
            }
        }

        var windows = initial.Select(s => Window(s, length)).ToArray();
        if (opt.Workloads.Contains("batch"))
        {
            var embeddings = new float[users * d];
            var warmBatch = windows.AsSpan(0, Math.Min(512, users)).ToArray();
            WarmUp(() => encoder.EncodeBatch(warmBatch, embeddings)); // untimed
            for (int rep = 1; rep <= opt.Reps; rep++)
            {
                long t0 = Stopwatch.GetTimestamp();
                encoder.EncodeBatch(windows, embeddings);
                Emit(Row(opt, "batch_encode", rep, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, ("users", users)));
            }
        }

        if (opt.Workloads.Contains("round"))
        {
            var sim = start.Clone();
            sim.ClickStream = targetId; // as GuidanceRunner does with IndependentClicksPerTarget
            var sequences = initial.Select(s => new List<int>(s)).ToArray();
            var win = (ReadOnlyMemory<int>[])windows.Clone();
            var mask = new ExclusionMask(users, n);
            var embeddings = new float[users * d];
            var slates = new int[users];
            var shown = new int[users];
            var clicked = new bool[users];
            // Warm-up (as the Python side), untimed: encode the first 512 users, then score all users with those
            // encodings repeated, for at least WarmUp's five seconds.
            int few = Math.Min(512, users);
            encoder.EncodeBatch(win.AsSpan(0, few).ToArray(), embeddings);
            for (int u = few; u < users; u++)
            {
                embeddings.AsSpan((u % few) * d, d).CopyTo(embeddings.AsSpan(u * d, d));
            }

            var warmContext = new PolicyContext(encoder, target, win, embeddings, new ExclusionMask(users, n), 1, 0);
            WarmUp(() => policy.Recommend(warmContext, slates));
            for (int round = 0; round < opt.Reps; round++)
            {
                long t0 = Stopwatch.GetTimestamp();
                encoder.EncodeBatch(win, embeddings);
                long t1 = Stopwatch.GetTimestamp();
                var context = new PolicyContext(encoder, target, win, embeddings, mask, 1, round);
                policy.Recommend(context, slates);
                long t2 = Stopwatch.GetTimestamp();
                for (int u = 0; u < users; u++)
                {
                    shown[u] = slates[u];
                }

                sim.Step(shown, clicked);
                int clicks = 0;
                for (int u = 0; u < users; u++)
                {
                    mask.Add(u, slates[u]);
                    if (clicked[u])
                    {
                        clicks++;
                        sequences[u].Add(slates[u]);
                        win[u] = Window(CollectionsMarshal.AsSpan(sequences[u]).ToArray(), length);
                    }
                }

                long t3 = Stopwatch.GetTimestamp();
                Emit(Row(opt, "guidance_round", round + 1, Ms(t0, t3), ("clicks", clicks)));
                Emit(Row(opt, "round_encode", round + 1, Ms(t0, t1)));
                Emit(Row(opt, "round_score", round + 1, Ms(t1, t2)));
                Emit(Row(opt, "round_simulate", round + 1, Ms(t2, t3)));
            }
        }

        if (opt.Workloads.Contains("runner"))
        {
            // The paper's checkpoints (K = 5, 10, 15, 20) that fall within the rounds run, or the last round.
            int[] checkpoints = [.. MetricsOptions.Paper.Checkpoints.Where(k => k <= opt.RunnerRounds)];
            var guidance = GuidanceOptions.Paper with
            {
                Rounds = opt.RunnerRounds,
                Metrics = MetricsOptions.Paper with { Checkpoints = checkpoints.Length > 0 ? checkpoints : [opt.RunnerRounds] },
            };
            var runner = new GuidanceRunner(start, encoder, initial, guidance);
            for (int rep = 0; rep <= 1; rep++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var metrics = runner.RunTarget(policy, targetId);
                double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                Emit(Row(opt, rep == 0 ? "runner_round_first" : "runner_round", 1, ms / opt.RunnerRounds, ("rounds", opt.RunnerRounds)));
            }
        }

        return 0;
    }

    /// <summary>
    /// The first two guidance rounds with everything the Python side needs to check that it does the same work
    /// (torch_reference.py --check): per round the encodings of all users, the recommendations, the clicks and the
    /// simulator state after the step. Round 1 also exercises the exclusions and the appended clicks.
    /// </summary>
    private static void DumpRounds(string dir, OnnxSasRecEncoder encoder, IpgPolicy policy, GuidanceTarget target, TopicSimulator start, int[][] initial, int targetId)
    {
        Directory.CreateDirectory(dir);
        int users = start.UserCount;
        int length = encoder.MaxHistoryLength;
        var sequences = initial.Select(s => new List<int>(s)).ToArray();
        var windows = initial.Select(s => Window(s, length)).ToArray();
        var embeddings = new float[users * encoder.Dimension];
        var mask = new ExclusionMask(users, encoder.ItemCount);
        var slates = new int[users];
        var sim = start.Clone();
        sim.ClickStream = targetId;
        var clicks = new List<int>();
        for (int round = 0; round < 2; round++)
        {
            encoder.EncodeBatch(windows, embeddings);
            policy.Recommend(new PolicyContext(encoder, target, windows, embeddings, mask, 1, round), slates);
            var clicked = sim.Step(slates);
            File.WriteAllBytes(Path.Combine(dir, $"round{round}-embeddings.f32"), MemoryMarshal.AsBytes(embeddings.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dir, $"round{round}-recommendations.i32"), MemoryMarshal.AsBytes(slates.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dir, $"round{round}-clicks.u8"), clicked.Select(c => c ? (byte)1 : (byte)0).ToArray());
            sim.Save(Path.Combine(dir, $"round{round}-state-after.bin"));
            clicks.Add(clicked.Count(c => c));
            for (int u = 0; u < users; u++)
            {
                mask.Add(u, slates[u]);
                if (clicked[u])
                {
                    sequences[u].Add(slates[u]);
                    windows[u] = Window(CollectionsMarshal.AsSpan(sequences[u]).ToArray(), length);
                }
            }
        }

        var meta = new Dictionary<string, object>
        {
            ["target"] = targetId,
            ["users"] = users,
            ["rounds"] = 2,
            ["state_sha256_before"] = start.ComputeStateHash(),
            ["clicks"] = clicks,
        };
        File.WriteAllText(Path.Combine(dir, "dump.json"), JsonSerializer.Serialize(meta));
        Console.Error.WriteLine($"rounds 0-1 dumped to {dir}: target {targetId}, clicks {string.Join(", ", clicks)}");
    }

    private static ReadOnlyMemory<int> Window(int[] sequence, int maxLength) =>
        sequence.Length > maxLength ? sequence.AsMemory(sequence.Length - maxLength) : sequence.AsMemory();

    /// <summary>
    /// Runs <paramref name="work"/> untimed, at least once and for at least five seconds, so that measurements start in
    /// steady state: .NET's tiered JIT promotes hot methods to optimised code only after a call-counting delay, which is
    /// much longer when the process sees one processor (DOTNET_PROCESSOR_COUNT=1, as compare.sh sets for one thread).
    /// Seen here at one processor: after 200 warm-up requests, and still after 2 s, requests took 1.9–2.3 ms instead of
    /// 0.24 ms; after about 4 s they were at 0.24 ms.
    /// </summary>
    private static void WarmUp(Action work)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            work();
        }
        while (clock.Elapsed < TimeSpan.FromSeconds(5));
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    private static Dictionary<string, object> Row(Options opt, string workload, int rep, double ms, params (string Key, object Value)[] extra)
    {
        var row = new Dictionary<string, object>
        {
            ["side"] = opt.Label,
            ["workload"] = workload,
            ["threads"] = opt.Threads,
            ["rep"] = rep,
            ["ms"] = ms,
        };
        foreach (var (key, value) in extra)
        {
            row[key] = value;
        }

        return row;
    }

    private static void Emit(Dictionary<string, object> row) => Console.WriteLine(JsonSerializer.Serialize(row));
}
