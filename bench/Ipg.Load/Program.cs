using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ipg;
using Ipg.Encoders;

// Load test of samples/RecommenderService (docs/reliability.md, "The service under load"), driven by bench/Ipg.Load/run.sh.
// For each concurrency level: `seconds` of closed-loop requests over loopback, 10 % of them malformed (each must get a
// problem-details 400), every 200 answer checked item by item against the library called directly on the model the
// response names (X-Model-Version); the server's RSS and thread count read from /proc every second. With --swap, the
// watched model file is replaced every `swap-every` seconds by the next of the given models (staged, then renamed).
//
//   Ipg.Load --url http://127.0.0.1:PORT --pid PID --levels 1,4,16 --seconds 60 --models a.onnx,b.onnx
//            [--swap WATCHED_PATH --swap-every 10 --swap-seconds 60 --swap-concurrency 8]
var opts = Args.Parse(args);
string url = opts.Get("url");
int pid = int.Parse(opts.Get("pid"), CultureInfo.InvariantCulture);
int[] levels = opts.Get("levels", "1,4,16").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
double seconds = double.Parse(opts.Get("seconds", "60"), CultureInfo.InvariantCulture);
string[] modelFiles = opts.Get("models").Split(',');
string? swapPath = opts.Find("swap");

// The library's answer for every request of the pool, per model version (the service runs IpgOptions.Default).
var pool = RequestPool.Create(count: 256, maxItem: 100, seed: 17);
var expected = new Dictionary<string, string[]>();
foreach (string file in modelFiles.Distinct())
{
    string version = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))[..16];
    using var encoder = OnnxSasRecEncoder.Load(file);
    var reranker = new IpgReranker(encoder);
    expected[version] = pool.Valid.Select(r => Canonical(reranker.Recommend(r.History, reranker.PrepareTarget(r.Target), r.K, excludedItems: r.History))).ToArray();
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
Console.WriteLine("| concurrency | seconds | requests | req/s | p50 ms | p99 ms | max ms | 400 (malformed) | 5xx | other errors | wrong answers | RSS start → end (max) MB | threads start → end (max) | model versions seen |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|");
int failures = 0;
foreach (int c in levels)
{
    failures += await Run(c, seconds, swap: null);
}

if (swapPath is not null)
{
    var swap = new Swapper(swapPath, modelFiles, double.Parse(opts.Get("swap-every", "10"), CultureInfo.InvariantCulture));
    failures += await Run(int.Parse(opts.Get("swap-concurrency", "8"), CultureInfo.InvariantCulture), double.Parse(opts.Get("swap-seconds", "60"), CultureInfo.InvariantCulture), swap);
    Console.WriteLine();
    Console.WriteLine($"Swaps: {swap.Count} file replacements; server /health after the run: {await http.GetStringAsync("/health")}");
}

return failures == 0 ? 0 : 1;

async Task<int> Run(int concurrency, double duration, Swapper? swap)
{
    var stats = new Stats();
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(duration));
    var memory = new List<(double RssMb, int Threads)> { Proc.Read(pid) };
    var sampler = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(1000).ConfigureAwait(false);
            memory.Add(Proc.Read(pid));
            swap?.Tick();
        }
    });
    var clock = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var random = new Random(1000 + w);
        while (!stop.IsCancellationRequested)
        {
            bool malformed = random.NextDouble() < 0.1;
            int index = random.Next(malformed ? pool.Malformed.Length : pool.Valid.Length);
            string body = malformed ? pool.Malformed[index] : pool.Valid[index].Json;
            long started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.PostAsync("/recommendations", new StringContent(body, Encoding.UTF8, "application/json")).ConfigureAwait(false);
                string text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                string version = response.Headers.TryGetValues("X-Model-Version", out var v) ? v.First() : "";
                stats.Record(ms, (int)response.StatusCode, malformed, version, malformed || (int)response.StatusCode != 200 || Check(text, version, index));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                stats.Error(e);
            }
            catch (TaskCanceledException)
            {
            }
        }
    })).ToArray();
    await Task.WhenAll(workers);
    double elapsed = clock.Elapsed.TotalSeconds;
    await sampler;
    memory.Add(Proc.Read(pid));
    return stats.Print(concurrency, elapsed, memory);
}

bool Check(string text, string version, int index)
{
    using var json = JsonDocument.Parse(text);
    if (!expected.TryGetValue(version, out var answers) || json.RootElement.GetProperty("modelVersion").GetString() != version)
    {
        return false;
    }

    var items = json.RootElement.GetProperty("items").EnumerateArray().Select(i => new RankedItem(i.GetProperty("item").GetInt32(), i.GetProperty("p").GetSingle(), i.GetProperty("g").GetSingle(), i.GetProperty("r").GetSingle()));
    return Canonical(items) == answers[index];
}

static string Canonical(IEnumerable<RankedItem> items) => string.Join(";", items.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.ItemId}:{r.Score:R}")));

/// <summary>The requests: valid ones (history, target, K over items 1..maxItem) and malformed bodies, each of which must get a 400.</summary>
internal sealed record RequestPool(ValidRequest[] Valid, string[] Malformed)
{
    public static RequestPool Create(int count, int maxItem, int seed)
    {
        var random = new Random(seed);
        var valid = Enumerable.Range(0, count).Select(_ =>
        {
            int[] history = Enumerable.Range(0, random.Next(0, 30)).Select(_ => random.Next(1, maxItem + 1)).ToArray();
            int target = random.Next(1, maxItem + 1);
            int k = random.Next(1, 21);
            return new ValidRequest(history, target, k, JsonSerializer.Serialize(new { target, history, k }));
        }).ToArray();
        string[] malformed =
        [
            "", "{", "[]", "null", """{"target": "x", "history": [1]}""", """{"history": [1, 2]}""", """{"target": 0, "history": [1]}""",
            """{"target": 5, "history": [0, 1]}""", """{"target": 5, "history": [1], "k": 0}""", """{"target": 5, "history": [1], "k": 100000}""",
            """{"target": 5, "history": [1], "strength": 2}""", """{"target": 99999999, "history": [1]}""", """{"target": 5, "history": [1.5]}""",
            """{"target": 5, "history": [1], "extra": """ + new string('[', 200) + new string(']', 200) + "}",
        ];
        return new RequestPool(valid, malformed);
    }
}

internal sealed record ValidRequest(int[] History, int Target, int K, string Json);

/// <summary>Latencies and outcomes of one level.</summary>
internal sealed class Stats
{
    private readonly object _gate = new();
    private readonly List<double> _latencies = new(1 << 20);
    private readonly HashSet<string> _versions = [];
    private int _bad400, _fivexx, _other, _wrong, _errors, _malformedNot400;
    private string? _firstProblem;

    public void Record(double ms, int status, bool malformed, string version, bool correct)
    {
        lock (_gate)
        {
            _latencies.Add(ms);
            _versions.Add(version);
            if (status >= 500) { _fivexx++; }
            else if (malformed) { if (status == 400) { _bad400++; } else { _malformedNot400++; _firstProblem ??= $"malformed request got {status}"; } }
            else if (status != 200) { _other++; _firstProblem ??= $"valid request got {status}"; }
            if (!correct) { _wrong++; _firstProblem ??= $"wrong answer from model {version}"; }
        }
    }

    public void Error(Exception e)
    {
        lock (_gate)
        {
            _errors++;
            _firstProblem ??= e.Message;
        }
    }

    public int Print(int concurrency, double seconds, List<(double RssMb, int Threads)> memory)
    {
        _latencies.Sort();
        double P(double q) => _latencies.Count == 0 ? double.NaN : _latencies[Math.Min(_latencies.Count - 1, (int)(q * _latencies.Count))];
        var (first, last) = (memory[0], memory[^1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {concurrency} | {seconds:F0} | {_latencies.Count} | {_latencies.Count / seconds:F0} | {P(0.5):F2} | {P(0.99):F2} | {_latencies[^1]:F1} | {_bad400} | {_fivexx} | {_other + _errors + _malformedNot400} | {_wrong} | {first.RssMb:F0} → {last.RssMb:F0} ({memory.Max(m => m.RssMb):F0}) | {first.Threads} → {last.Threads} ({memory.Max(m => m.Threads)}) | {string.Join(", ", _versions.Order())} |"));
        if (_firstProblem is not null)
        {
            Console.Error.WriteLine($"  first problem at concurrency {concurrency}: {_firstProblem}");
        }

        return _fivexx + _other + _errors + _malformedNot400 + _wrong;
    }
}

/// <summary>Replaces the watched model file with the next model every few seconds: copy beside it, then one rename.</summary>
internal sealed class Swapper(string path, string[] models, double everySeconds)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public int Count { get; private set; }

    public void Tick()
    {
        if (_clock.Elapsed.TotalSeconds < (Count + 1) * everySeconds)
        {
            return;
        }

        Count++;
        string staged = path + ".staged";
        File.Copy(models[Count % models.Length], staged, overwrite: true);
        File.SetLastWriteTimeUtc(staged, DateTime.UtcNow);
        File.Move(staged, path, overwrite: true);
    }
}

internal static class Proc
{
    /// <summary>VmRSS (MB) and Threads of a process, from /proc.</summary>
    public static (double RssMb, int Threads) Read(int pid)
    {
        double rss = 0;
        int threads = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return (rss, threads);
    }
}

internal sealed class Args
{
    private readonly Dictionary<string, string> _values = [];

    public static Args Parse(string[] args)
    {
        var parsed = new Args();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            parsed._values[args[i].TrimStart('-')] = args[i + 1];
        }

        return parsed;
    }

    public string? Find(string name) => _values.GetValueOrDefault(name);

    public string Get(string name, string? fallback = null) =>
        _values.GetValueOrDefault(name) ?? fallback ?? throw new ArgumentException($"--{name} is required");
}
