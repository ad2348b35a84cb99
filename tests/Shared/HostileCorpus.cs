using System.Diagnostics;
using System.Text;

namespace Ipg.Tests.Shared;

/// <summary>
/// Runs a loader over a mutant corpus and records, for each mutant, what happened: loaded, or which exception (type and
/// the first words of its message), how long the load took and how many managed bytes it allocated on the calling
/// thread. Used by the hostile-file tests (docs/reliability.md "Hostile files").
/// </summary>
internal sealed class HostileCorpus
{
    /// <summary>
    /// The managed allocation bound of one read of a mutant: 8 bytes per byte of the file (the model reader copies the
    /// file once into floats, the graph reader once more into its own weights) plus 4 MiB.
    /// </summary>
    public static long AllocationBound(Mutant mutant) => (8L * mutant.Bytes.Length) + (4L << 20);

    /// <summary>A load slower than this is run again; a mutant that is slow twice is a hang.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, int> _outcomes = [];
    private readonly Dictionary<string, int> _kinds = [];
    private readonly List<string> _failures = [];

    /// <summary>Mutants run.</summary>
    public int Count { get; private set; }

    /// <summary>Mutants that loaded (the mutation hit data the format cannot check, such as a weight).</summary>
    public int Loaded { get; private set; }

    /// <summary>The slowest load.</summary>
    public TimeSpan MaxTime { get; private set; }

    /// <summary>The most managed bytes one load allocated.</summary>
    public long MaxAllocated { get; private set; }

    /// <summary>The mutant behind <see cref="MaxAllocated"/>.</summary>
    public string MaxAllocatedBy { get; private set; } = "";

    /// <summary>Exceptions of a type outside the allowed ones, hangs, and loads above the allocation bound.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>
    /// Loads every mutant with <paramref name="load"/> (which disposes what it loads). Allowed outcomes: success, or an
    /// exception whose exact type is one of <paramref name="allowed"/>; a load must finish within <see cref="HangLimit"/>
    /// (a slow one is retried once) and allocate at most <paramref name="allocationBound"/>(mutant) managed bytes.
    /// </summary>
    public void Run(IEnumerable<Mutant> mutants, Action<byte[]> load, Type[] allowed, Func<Mutant, long> allocationBound)
    {
        foreach (var mutant in mutants)
        {
            Count++;
            _kinds[mutant.Kind.Split(',')[0]] = _kinds.GetValueOrDefault(mutant.Kind.Split(',')[0]) + 1;
            var (outcome, elapsed, allocated) = Once(mutant, load);
            if (elapsed > HangLimit)
            {
                // The machine is shared: a slow load is measured again before it is called a hang.
                (outcome, elapsed, allocated) = Once(mutant, load);
                if (elapsed > HangLimit)
                {
                    _failures.Add($"{mutant}: took {elapsed.TotalMilliseconds:F0} ms twice");
                }
            }

            MaxTime = elapsed > MaxTime ? elapsed : MaxTime;
            if (allocated > MaxAllocated)
            {
                MaxAllocated = allocated;
                MaxAllocatedBy = mutant.ToString();
            }

            if (allocated > allocationBound(mutant))
            {
                _failures.Add($"{mutant}: allocated {allocated:N0} bytes, above the bound {allocationBound(mutant):N0}");
            }

            if (outcome is null)
            {
                Loaded++;
                _outcomes["loaded"] = _outcomes.GetValueOrDefault("loaded") + 1;
                continue;
            }

            if (!allowed.Contains(outcome.GetType()))
            {
                var frames = outcome.StackTrace?.Split('\n').Select(f => f.Trim()).ToArray() ?? [];
                var at = string.Join(" ← ", frames.Take(1).Concat(frames.Skip(1).Where(f => f.StartsWith("at Ipg", StringComparison.Ordinal)).Take(1)));
                _failures.Add($"{mutant}: {outcome.GetType().Name}: {outcome.Message} {at}");
            }

            var key = $"{outcome.GetType().Name}: {Summary(outcome.Message)}";
            _outcomes[key] = _outcomes.GetValueOrDefault(key) + 1;
        }
    }

    private static (Exception? Outcome, TimeSpan Elapsed, long Allocated) Once(Mutant mutant, Action<byte[]> load)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        Exception? outcome = null;
        try
        {
            load(mutant.Bytes);
        }
        catch (Exception e)
        {
            outcome = e;
        }

        watch.Stop();
        return (outcome, watch.Elapsed, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>The message up to its first quote, bracket or digit, so that messages differing only in names and numbers group together.</summary>
    private static string Summary(string message)
    {
        var end = message.IndexOfAny(['\'', '"', '(', '{', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
        var head = (end < 0 ? message : message[..end]).Trim().TrimEnd(':', '-').Trim();
        return head.Length > 60 ? head[..60] + "…" : head;
    }

    /// <summary>A table of mutation kinds and outcomes, for the test output and docs/reliability.md.</summary>
    public string Report(string title)
    {
        var text = new StringBuilder();
        text.AppendLine($"{title}: {Count} mutants ({string.Join(", ", _kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value}"))})");
        text.AppendLine($"  max load {MaxTime.TotalMilliseconds:F1} ms; max allocated {MaxAllocated:N0} bytes by {MaxAllocatedBy}");
        foreach (var (outcome, n) in _outcomes.OrderByDescending(o => o.Value))
        {
            text.AppendLine($"  {n,6}  {outcome}");
        }

        foreach (var failure in _failures.Take(20))
        {
            text.AppendLine($"  FAIL {failure}");
        }

        return text.ToString();
    }
}
