using System.Security.Cryptography;

namespace Ipg.Simulation;

/// <summary>
/// The envelope of the project's binary files: magic, int32 version, body, and a trailing SHA-256 of everything before
/// it — the simulator state (docs/simulator.md) and the world file (docs/real-data.md "World format").
/// </summary>
internal static class ChecksummedBinary
{
    public const int HashLength = 32;

    /// <summary>Writes <paramref name="body"/> (which starts with its magic and version) and its SHA-256.</summary>
    public static void Write(Stream destination, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("destination must be writable.", nameof(destination));
        }

        destination.Write(body);
        destination.Write(SHA256.HashData(body));
    }

    /// <summary>
    /// Checks length, magic, version (one of <c>minVersion..maxVersion</c>) and checksum; returns the length of the body
    /// (the data without the checksum) and the version found.
    /// </summary>
    public static (int BodyLength, int Version) Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> magic, int minVersion, int maxVersion, string what)
    {
        if (data.Length < magic.Length + sizeof(int) + HashLength)
        {
            throw new InvalidDataException($"{Capitalised(what)} is truncated: {data.Length} bytes.");
        }

        if (!data[..magic.Length].SequenceEqual(magic))
        {
            throw new InvalidDataException($"Not a {what}: bad magic (expected \"{System.Text.Encoding.ASCII.GetString(magic)}\").");
        }

        var found = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(data.Slice(magic.Length, sizeof(int)));
        if (found < minVersion || found > maxVersion)
        {
            var reads = minVersion == maxVersion ? $"version {maxVersion}" : $"versions {minVersion} to {maxVersion}";
            throw new InvalidDataException($"Unsupported {what} format version {found} (this build reads {reads}).");
        }

        var bodyLength = data.Length - HashLength;
        if (!SHA256.HashData(data[..bodyLength]).AsSpan().SequenceEqual(data[bodyLength..]))
        {
            throw new InvalidDataException($"{Capitalised(what)} is corrupt or truncated: its SHA-256 checksum does not match.");
        }

        return (bodyLength, found);
    }

    private static string Capitalised(string s) => s.Length == 0 ? s : string.Concat(s[..1].ToUpperInvariant(), s[1..]);

    /// <summary>Reads <c>destination.Length</c> doubles into <paramref name="destination"/> and refuses NaN and infinities.</summary>
    /// <param name="r">The reader.</param>
    /// <param name="destination">Receives the values.</param>
    /// <param name="what">Names the file and the values in the message, e.g. "World file: item vectors".</param>
    public static void ReadFinite(BinaryReader r, Span<double> destination, string what)
    {
        for (var k = 0; k < destination.Length; k++)
        {
            var v = r.ReadDouble();
            if (!double.IsFinite(v))
            {
                throw new InvalidDataException($"{what} hold a non-finite value at index {k}.");
            }

            destination[k] = v;
        }
    }

    /// <summary>
    /// Reads a string written by <see cref="BinaryWriter.Write(string)"/> (a 7-bit encoded byte length, then UTF-8), refusing
    /// a malformed or negative length, or one longer than the bytes left, as <see cref="InvalidDataException"/>
    /// (<see cref="BinaryReader.ReadString"/> throws <see cref="FormatException"/> or <see cref="IOException"/>; the
    /// hostile-file corpus found both).
    /// </summary>
    /// <param name="r">The reader.</param>
    /// <param name="what">Names the file and the value in the message, e.g. "World file: topic 3's name".</param>
    public static string ReadString(BinaryReader r, string what)
    {
        int length;
        try
        {
            length = r.Read7BitEncodedInt();
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{what} has a malformed length prefix.", e);
        }

        if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position)
        {
            throw new InvalidDataException($"{what} has an invalid length {length} ({r.BaseStream.Length - r.BaseStream.Position} bytes remain).");
        }

        return System.Text.Encoding.UTF8.GetString(r.ReadBytes(length));
    }

    /// <summary>Reads <paramref name="count"/> finite doubles (see <see cref="ReadFinite(BinaryReader, Span{double}, string)"/>).</summary>
    public static double[] ReadFinite(BinaryReader r, int count, string what)
    {
        var values = new double[count];
        ReadFinite(r, values, what);
        return values;
    }
}
