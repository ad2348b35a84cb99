using System.Diagnostics;
using System.Globalization;
using Ipg;
using Ipg.Encoders;

// Soak test of the ONNX encoder (docs/reliability.md): N encode calls through one shared session, with the managed
// heap and the process's private memory read after a warm-up (a fifth of the calls, at most 200,000) and at every
// tenth of the run. Exit code 1 when private memory (managed + native) grew by 5 % or more, when the managed heap
// grew by 5 % and by more than 256 KB (it is only a few hundred KB, so 5 % of it is noise), or when a result differed.
//
//   dotnet run -c Release --project bench/Ipg.Soak -- <model.onnx | in-memory> [calls = 1000000] [threads = 1]
if (args.Length is < 1 or > 3)
{
    Console.Error.WriteLine("usage: Ipg.Soak <model.onnx | in-memory> [calls = 1000000] [threads = 1]");
    return 2;
}

string model = args[0];
long calls = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
if (calls < 10 || threads < 1)
{
    Console.Error.WriteLine("calls must be at least 10 and threads at least 1");
    return 2;
}

// "in-memory" instead of a model path runs the same loop through an InMemoryEncoder (100 items, d = 16, L = 20):
// a control that separates ONNX Runtime from the .NET runtime.
ISequentialEncoder encoder = model == "in-memory"
    ? new InMemoryEncoder(RandomTable(100, 16), maxHistoryLength: 20)
    : OnnxSasRecEncoder.Load(model);
using var owned = encoder as IDisposable;
int n = encoder.ItemCount;
int d = encoder.Dimension;

// 256 fixed histories of every length from 0 to past the model's maximum, so truncation and padding both run.
var random = new Random(2024);
var histories = Enumerable.Range(0, 256)
    .Select(i => Enumerable.Range(0, i % (encoder.MaxHistoryLength + 5)).Select(_ => random.Next(1, n + 1)).ToArray())
    .ToArray();
var reference = histories.Select(h =>
{
    var u = new float[d];
    encoder.Encode(h, u);
    return u;
}).ToArray();

// Managed allocation per Encode in steady state (after the reference pass above warmed the path up).
var probe = new float[d];
for (int i = 0; i < 2_000; i++)
{
    encoder.Encode(histories[i & 255], probe);
}

long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
for (int i = 0; i < 10_000; i++)
{
    encoder.Encode(histories[i & 255], probe);
}

double allocatedPerCall = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / 10_000.0;

long mismatches = 0;
void Run(long count, int worker)
{
    var user = new float[d];
    for (long i = 0; i < count; i++)
    {
        int h = (int)((i + (worker * 31)) & 255);
        encoder.Encode(histories[h], user);
        if (((i & 1023) == 0) && !user.AsSpan().SequenceEqual(reference[h]))
        {
            Interlocked.Increment(ref mismatches);
        }
    }
}

// The workers live for the whole run (a new thread per phase would get a fresh malloc arena and thread-local
// state in ONNX Runtime, which shows up as steps in native memory that have nothing to do with the encoder).
// Phase 0 is the warm-up, phases 1-10 the tenths of the run; the main thread measures between phases.
long warmup = Math.Min(200_000, calls / 5);
using var done = new Barrier(threads + 1);
using var go = new Barrier(threads + 1);
var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
{
    for (int phase = 0; phase <= 10; phase++)
    {
        Run((phase == 0 ? warmup : calls / 10) / threads, t);
        done.SignalAndWait();
        go.SignalAndWait();
    }
}) { IsBackground = true }).ToList();

string Line(int tenth, double seconds, (long Managed, long Private, long WorkingSet, long RssAnon) m) =>
    $"{tenth * 10,3} %: {seconds,7:F1} s, managed {Mb(m.Managed)} MB, private {Mb(m.Private)} MB, working set {Mb(m.WorkingSet)} MB, RssAnon {Mb(m.RssAnon)} MB, threads {ThreadCount()}, gen0 GCs {GC.CollectionCount(0)}";

(long Managed, long Private, long WorkingSet, long RssAnon) Measure(bool record = true)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    long managed = GC.GetTotalMemory(forceFullCollection: true);
    using var process = Process.GetCurrentProcess();
    if (record)
    {
        DumpSmaps();
    }

    return (managed, process.PrivateMemorySize64, process.WorkingSet64, RssAnon());
}

// IPG_SOAK_SMAPS=<dir>: copies /proc/self/smaps to <dir>/smaps-<n>.txt at every measurement, to see which mapping grows.
int smapsCount = 0;
void DumpSmaps()
{
    string? dir = Environment.GetEnvironmentVariable("IPG_SOAK_SMAPS");
    if (string.IsNullOrEmpty(dir) || !File.Exists("/proc/self/smaps"))
    {
        return;
    }

    Directory.CreateDirectory(dir);
    File.WriteAllText(Path.Combine(dir, $"smaps-{smapsCount++:D2}.txt"), File.ReadAllText("/proc/self/smaps"));
}

// Resident anonymous memory (Linux: RssAnon in /proc/self/status): the working set without mapped files and code,
// i.e. what a leak in the GC heap or in native allocations would grow. -1 elsewhere.
static long RssAnon()
{
    const string path = "/proc/self/status";
    if (!File.Exists(path))
    {
        return -1;
    }

    foreach (string line in File.ReadLines(path))
    {
        if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
        {
            return long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
    }

    return -1;
}

// Threads of the process (each has a stack mapping, which Linux counts in private memory); -1 off Linux.
static int ThreadCount() => Directory.Exists("/proc/self/task") ? Directory.GetDirectories("/proc/self/task").Length : -1;

static string ThreadNames() => Directory.Exists("/proc/self/task")
    ? string.Join(", ", Directory.GetDirectories("/proc/self/task").Select(ThreadName).Order(StringComparer.Ordinal))
    : "";

// A thread can exit between listing /proc/self/task and reading its name.
static string ThreadName(string task)
{
    try
    {
        return File.ReadAllText(Path.Combine(task, "comm")).Trim();
    }
    catch (IOException)
    {
        return "(exited)";
    }
}

static ItemEmbeddingTable RandomTable(int items, int dimension)
{
    var random = new Random(7);
    var rows = new float[items * dimension];
    for (int i = 0; i < rows.Length; i++)
    {
        rows[i] = (float)((random.NextDouble() * 2) - 1);
    }

    return ItemEmbeddingTable.FromItemRows(items, dimension, rows);
}

static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture);

Console.WriteLine($"model {Path.GetFileName(model)}: N = {n}, d = {d}, L = {encoder.MaxHistoryLength}; {calls:N0} Encode calls on {threads} thread(s); " +
    $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
Console.WriteLine($"managed allocation per Encode (steady state, one thread): {allocatedPerCall:F1} B");
workers.ForEach(w => w.Start());

// While the workers warm up, run the measuring and formatting code itself 40 times (more than the 30 calls after
// which .NET's tiered JIT recompiles a method) and give the background JIT a second to finish. Otherwise the JIT
// recompiles these methods at about the 7th measurement, and its ~4 MB of transient native memory (on the tiered
// compilation thread's malloc arena, which keeps its high-water mark in private memory) shows up as a step in the
// middle of the run that has nothing to do with the encoder (with DOTNET_TieredCompilation=0 the step is gone).
// The same for Barrier.SignalAndWait, which the phases call about 40 times in all (so it would cross the
// threshold at about 60 % of the run).
for (int i = 0; i < 40; i++)
{
    var probeMeasure = Measure(record: false);
    _ = Line(0, 0, probeMeasure);
}

using (var probeBarrier = new Barrier(2))
{
    var partner = new Thread(() =>
    {
        for (int i = 0; i < 40; i++)
        {
            probeBarrier.SignalAndWait();
        }
    });
    partner.Start();
    for (int i = 0; i < 40; i++)
    {
        probeBarrier.SignalAndWait();
    }

    partner.Join();
}

Thread.Sleep(1000);
done.SignalAndWait();
var start = Measure();
Console.WriteLine($"after warm-up: managed {Mb(start.Managed)} MB, native ≈ {Mb(start.Private - start.Managed)} MB, private {Mb(start.Private)} MB, working set {Mb(start.WorkingSet)} MB, RssAnon {Mb(start.RssAnon)} MB, threads {ThreadCount()}, gen0 GCs {GC.CollectionCount(0)}");

Console.WriteLine($"threads: {ThreadNames()}");
var watch = Stopwatch.StartNew();
var end = start;
var peakPrivate = start.Private;
for (int tenth = 1; tenth <= 10; tenth++)
{
    go.SignalAndWait();
    done.SignalAndWait();
    end = Measure();
    peakPrivate = Math.Max(peakPrivate, end.Private);
    Console.WriteLine(Line(tenth, watch.Elapsed.TotalSeconds, end));
}

go.SignalAndWait();
workers.ForEach(w => w.Join());
double seconds = watch.Elapsed.TotalSeconds;
Console.WriteLine($"threads: {ThreadNames()}");
double managedGrowth = 100.0 * (end.Managed - start.Managed) / start.Managed;
double privateGrowth = 100.0 * (end.Private - start.Private) / start.Private;
Console.WriteLine($"calls {calls:N0} in {seconds:F1} s = {calls / seconds:N0} calls/s; mismatches {mismatches}");
Console.WriteLine($"managed {Mb(start.Managed)} → {Mb(end.Managed)} MB ({managedGrowth:+0.00;-0.00} %, {(end.Managed - start.Managed) / 1024:+0;-0} KB); native ≈ {Mb(start.Private - start.Managed)} → {Mb(end.Private - end.Managed)} MB; private {Mb(start.Private)} → {Mb(end.Private)} MB ({privateGrowth:+0.00;-0.00} %, peak {Mb(peakPrivate)} MB); working set {Mb(start.WorkingSet)} → {Mb(end.WorkingSet)} MB; RssAnon {Mb(start.RssAnon)} → {Mb(end.RssAnon)} MB");
bool flat = (managedGrowth < 5 || end.Managed - start.Managed < 256 * 1024) && privateGrowth < 5 && mismatches == 0;
Console.WriteLine(flat ? "PASS: memory flat (growth < 5 %), results identical" : "FAIL");
return flat ? 0 : 1;
