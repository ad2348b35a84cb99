using System.Globalization;
using System.Text;

namespace Ipg.Simulation;

/// <summary>
/// The interaction log file (spec §3 log collection): one <c>user item</c> line per click, 1-based
/// ids separated by one space, LF line endings, ASCII, no header, in time order (round by round,
/// users ascending inside a round). In memory, <see cref="Interaction"/> has a zero-based user and the item id as written.
/// </summary>
public static class InteractionLogFormat
{
    /// <summary>Writes interactions in the log format.</summary>
    /// <param name="destination">A writable stream; left open.</param>
    /// <param name="interactions">Interactions in time order (zero-based users, item ids 1..N).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">An interaction has a negative user index or an item id below 1.</exception>
    public static void Write(Stream destination, IEnumerable<Interaction> interactions)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(interactions);
        using var writer = new StreamWriter(destination, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        foreach (var x in interactions)
        {
            if (x.User < 0 || x.Item < 1)
            {
                throw new ArgumentException($"Interaction {x} has a negative user index or an item id below 1.", nameof(interactions));
            }

            writer.Write((x.User + 1).ToString(CultureInfo.InvariantCulture));
            writer.Write(' ');
            writer.Write(x.Item.ToString(CultureInfo.InvariantCulture));
            writer.Write('\n');
        }
    }

    /// <summary>Writes interactions to a file (see <see cref="Write(Stream, IEnumerable{Interaction})"/>).</summary>
    /// <param name="path">Destination file; replaced atomically (through <see cref="Reproduction.AtomicFile"/>), so a failed
    /// write (an invalid interaction, a full disk) leaves any existing file untouched and no partial file behind.</param>
    /// <param name="interactions">Interactions in time order (zero-based users, item ids 1..N).</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or an interaction is invalid.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IEnumerable<Interaction> interactions)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(interactions);
        Reproduction.AtomicFile.Write(path, stream => Write(stream, interactions));
    }

    /// <summary>Reads a log (LF or CRLF line endings; blank lines ignored).</summary>
    /// <param name="source">A readable stream; left open.</param>
    /// <returns>Interactions in file order (zero-based users, item ids 1..N).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="InvalidDataException">A line is not two positive integers (the line number is given).</exception>
    public static List<Interaction> Read(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var reader = new StreamReader(source, Encoding.ASCII, false, 1 << 16, leaveOpen: true);
        var result = new List<Interaction>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var span = line.AsSpan().Trim();
            if (span.IsEmpty)
            {
                continue;
            }

            var space = span.IndexOfAny(' ', '\t');
            if (space < 0
                || !int.TryParse(span[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
                || !int.TryParse(span[(space + 1)..].TrimStart(), NumberStyles.None, CultureInfo.InvariantCulture, out var item)
                || user < 1 || item < 1)
            {
                throw new InvalidDataException($"Interaction log line {lineNumber}: expected two positive integers \"user item\", got \"{line}\".");
            }

            result.Add(new Interaction(user - 1, item));
        }

        return result;
    }

    /// <summary>Reads a log file (see <see cref="Read(Stream)"/>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>Interactions in file order (zero-based users, item ids 1..N).</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="InvalidDataException">A line is malformed.</exception>
    public static List<Interaction> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    /// <summary>Groups interactions into per-user item sequences, keeping time order.</summary>
    /// <param name="interactions">Interactions in time order (zero-based users, item ids 1..N).</param>
    /// <param name="userCount">Number of users; every user index must be below it.</param>
    /// <returns>For each user, their clicked item ids in order (ready for an encoder).</returns>
    /// <exception cref="ArgumentException">A user index is out of range, or <paramref name="userCount"/> is negative.</exception>
    public static int[][] ToSequences(IEnumerable<Interaction> interactions, int userCount)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        ArgumentOutOfRangeException.ThrowIfNegative(userCount);
        var lists = new List<int>[userCount];
        foreach (var x in interactions)
        {
            if ((uint)x.User >= (uint)userCount)
            {
                throw new ArgumentException($"Interaction {x} has a user outside [0, {userCount}).", nameof(interactions));
            }

            (lists[x.User] ??= []).Add(x.Item);
        }

        var result = new int[userCount][];
        for (var u = 0; u < userCount; u++)
        {
            result[u] = lists[u]?.ToArray() ?? [];
        }

        return result;
    }
}
