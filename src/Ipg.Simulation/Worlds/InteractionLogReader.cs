using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ipg.Simulation.Worlds;

/// <summary>
/// Reads interaction logs in the layouts of <see cref="InteractionLogKind"/> into an <see cref="InteractionLog"/>
/// (docs/real-data.md "Log formats"). Raw user and item ids must be non-negative integers; blank lines are ignored
/// (in <see cref="InteractionLogKind.ItemSequences"/> they still count for the line number that names the user).
/// </summary>
/// <remarks>Every format error is an <see cref="InvalidDataException"/> whose message names the file, the 1-based line
/// number, what was expected and what was found.</remarks>
public static class InteractionLogReader
{
    private const int MaxQuotedLine = 80;

    /// <summary>Reads a log file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="kind">Its layout.</param>
    /// <returns>The mapped log, with the file's SHA-256.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or <paramref name="kind"/> is not defined.</exception>
    /// <exception cref="InvalidDataException">A line is malformed (the message names file and line).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static InteractionLog Read(string path, InteractionLogKind kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Read(File.ReadAllBytes(path), kind, Path.GetFileName(path));
    }

    /// <summary>Reads a log from memory.</summary>
    /// <param name="content">The file's bytes (ASCII or UTF-8).</param>
    /// <param name="kind">Its layout.</param>
    /// <param name="sourceName">Name used in error messages (e.g. the file name).</param>
    /// <returns>The mapped log, with the SHA-256 of <paramref name="content"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not defined.</exception>
    /// <exception cref="InvalidDataException">A line is malformed (the message names source and line).</exception>
    public static InteractionLog Read(byte[] content, InteractionLogKind kind, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentException($"kind must be a defined InteractionLogKind, got {(int)kind}.", nameof(kind));
        }

        var hash = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        var builder = new Builder();
        using var reader = new StreamReader(new MemoryStream(content, writable: false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var lineNumber = 0;
        var tokens = new List<Range>(256);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var span = line.AsSpan();
            if (span.Trim().IsEmpty)
            {
                continue;
            }

            switch (kind)
            {
                case InteractionLogKind.Lines:
                    Tokenize(span, tokens);
                    if (tokens.Count != 2)
                    {
                        throw Error(sourceName, lineNumber, "two integers \"user item\"", line);
                    }

                    builder.Add(
                        ParseId(span[tokens[0]], sourceName, lineNumber, "user id", line),
                        ParseId(span[tokens[1]], sourceName, lineNumber, "item id", line),
                        timestamp: 0);
                    break;

                case InteractionLogKind.MovieLens:
                    ParseRating(span, tokens, sourceName, lineNumber, line, builder);
                    break;

                case InteractionLogKind.Sequences:
                    Tokenize(span, tokens);
                    if (tokens.Count < 2)
                    {
                        throw Error(sourceName, lineNumber, "\"user item item …\" (a user id and at least one item id)", line);
                    }

                    var user = ParseId(span[tokens[0]], sourceName, lineNumber, "user id", line);
                    if (!builder.StartSequenceUser(user, lineNumber, out var firstLine))
                    {
                        throw Error(sourceName, lineNumber, $"a new user id, but user {user} already has a sequence on line {firstLine}", line);
                    }

                    for (var k = 1; k < tokens.Count; k++)
                    {
                        builder.Add(user, ParseId(span[tokens[k]], sourceName, lineNumber, "item id", line), timestamp: 0);
                    }

                    break;

                default:
                    Tokenize(span, tokens);
                    builder.StartSequenceUser(lineNumber, lineNumber, out _);
                    for (var k = 0; k < tokens.Count; k++)
                    {
                        builder.Add(lineNumber, ParseId(span[tokens[k]], sourceName, lineNumber, "item id", line), timestamp: 0);
                    }

                    break;
            }
        }

        if (builder.UserCount == 0)
        {
            throw new InvalidDataException($"{sourceName}: expected at least one interaction, the log is empty.");
        }

        return builder.Build(kind, hash);
    }

    private static void ParseRating(ReadOnlySpan<char> span, List<Range> tokens, string source, int lineNumber, string line, Builder builder)
    {
        const string Expected = "\"user::item::rating::timestamp\" (ratings.dat) or \"user item rating timestamp\" (u.data)";
        tokens.Clear();
        if (span.Contains("::", StringComparison.Ordinal))
        {
            var start = 0;
            while (true)
            {
                var next = span[start..].IndexOf("::", StringComparison.Ordinal);
                if (next < 0)
                {
                    tokens.Add(new Range(start, span.Length));
                    break;
                }

                tokens.Add(new Range(start, start + next));
                start += next + 2;
            }
        }
        else
        {
            Tokenize(span, tokens);
        }

        if (tokens.Count != 4)
        {
            throw Error(source, lineNumber, $"4 fields {Expected}", line);
        }

        var user = ParseId(span[tokens[0]].Trim(), source, lineNumber, "user id", line);
        var item = ParseId(span[tokens[1]].Trim(), source, lineNumber, "item id", line);
        if (!double.TryParse(span[tokens[2]].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var rating) || !double.IsFinite(rating))
        {
            throw Error(source, lineNumber, $"a number as the rating (third field) of {Expected}", line);
        }

        if (!long.TryParse(span[tokens[3]].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var timestamp))
        {
            throw Error(source, lineNumber, $"an integer timestamp (fourth field) of {Expected}", line);
        }

        builder.Add(user, item, timestamp);
    }

    private static void Tokenize(ReadOnlySpan<char> span, List<Range> tokens)
    {
        tokens.Clear();
        var i = 0;
        while (i < span.Length)
        {
            while (i < span.Length && IsSeparator(span[i]))
            {
                i++;
            }

            var start = i;
            while (i < span.Length && !IsSeparator(span[i]))
            {
                i++;
            }

            if (i > start)
            {
                tokens.Add(new Range(start, i));
            }
        }
    }

    private static bool IsSeparator(char c) => c is ' ' or '\t' or '\r';

    private static long ParseId(ReadOnlySpan<char> token, string source, int lineNumber, string what, string line)
    {
        if (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw Error(source, lineNumber, $"a non-negative integer {what}, got \"{Quote(token.ToString())}\"", line);
        }

        return id;
    }

    private static InvalidDataException Error(string source, int lineNumber, string expected, string line)
        => new(string.Create(CultureInfo.InvariantCulture, $"{source} line {lineNumber}: expected {expected}; the line is \"{Quote(line)}\"."));

    private static string Quote(string s) => s.Length <= MaxQuotedLine ? s : string.Concat(s.AsSpan(0, MaxQuotedLine), "…");

    /// <summary>Collects interactions, maps raw ids to dense ids in order of first appearance.</summary>
    private sealed class Builder
    {
        private readonly Dictionary<long, int> _userIndex = [];
        private readonly Dictionary<long, int> _itemIndex = [];
        private readonly Dictionary<long, int> _sequenceLine = [];
        private readonly List<long> _users = [];
        private readonly List<long> _items = [];
        private readonly List<List<(long Time, int Item)>> _events = [];

        public int UserCount => _users.Count;

        /// <summary>Registers the user of a sequence line; false if that user already had a line.</summary>
        public bool StartSequenceUser(long user, int lineNumber, out int firstLine)
        {
            if (_sequenceLine.TryGetValue(user, out firstLine))
            {
                return false;
            }

            _sequenceLine[user] = lineNumber;
            UserOf(user);
            return true;
        }

        public void Add(long user, long item, long timestamp)
        {
            var u = UserOf(user);
            if (!_itemIndex.TryGetValue(item, out var i))
            {
                i = _items.Count + 1;
                _itemIndex[item] = i;
                _items.Add(item);
            }

            _events[u].Add((timestamp, i));
        }

        public InteractionLog Build(InteractionLogKind kind, string hash)
        {
            var sequences = new int[_events.Count][];
            for (var u = 0; u < sequences.Length; u++)
            {
                var e = _events[u];
                if (kind == InteractionLogKind.MovieLens)
                {
                    // List.Sort is unstable: the index breaks ties so that equal timestamps keep file order.
                    var order = new (long Time, int Index)[e.Count];
                    for (var k = 0; k < e.Count; k++)
                    {
                        order[k] = (e[k].Time, k);
                    }

                    Array.Sort(order);
                    sequences[u] = Array.ConvertAll(order, o => e[o.Index].Item);
                }
                else
                {
                    sequences[u] = e.ConvertAll(x => x.Item).ToArray();
                }
            }

            return new InteractionLog(_users, _items, sequences, hash, kind);
        }

        private int UserOf(long user)
        {
            if (!_userIndex.TryGetValue(user, out var u))
            {
                u = _users.Count;
                _userIndex[user] = u;
                _users.Add(user);
                _events.Add([]);
            }

            return u;
        }
    }
}
