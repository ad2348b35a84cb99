using System.Security.Cryptography;

namespace Ipg.Simulation.Worlds;

/// <summary>
/// The envelope of the project's binary files: magic, int32 version, body, and a trailing SHA-256 of everything before
/// it (docs/real-data.md "World format"; the simulator state of docs/simulator.md has the same envelope and could share
/// this helper).
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

    /// <summary>Checks length, magic, version and checksum; returns the length of the body (the data without the checksum).</summary>
    public static int Verify(byte[] data, ReadOnlySpan<byte> magic, int version, string what)
    {
        if (data.Length < magic.Length + sizeof(int) + HashLength)
        {
            throw new InvalidDataException($"{Capitalised(what)} is truncated: {data.Length} bytes.");
        }

        if (!data.AsSpan(0, magic.Length).SequenceEqual(magic))
        {
            throw new InvalidDataException($"Not a {what}: bad magic (expected \"{System.Text.Encoding.ASCII.GetString(magic)}\").");
        }

        var found = BitConverter.ToInt32(data, magic.Length);
        if (found != version)
        {
            throw new InvalidDataException($"Unsupported {what} format version {found} (this build reads version {version}).");
        }

        var bodyLength = data.Length - HashLength;
        if (!SHA256.HashData(data.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(data.AsSpan(bodyLength)))
        {
            throw new InvalidDataException($"{Capitalised(what)} is corrupt or truncated: its SHA-256 checksum does not match.");
        }

        return bodyLength;
    }

    private static string Capitalised(string s) => s.Length == 0 ? s : string.Concat(s[..1].ToUpperInvariant(), s[1..]);

    /// <summary>Reads <paramref name="count"/> doubles and refuses NaN and infinities.</summary>
    public static double[] ReadFinite(BinaryReader r, int count, string what)
    {
        var values = new double[count];
        for (var k = 0; k < count; k++)
        {
            values[k] = r.ReadDouble();
            if (!double.IsFinite(values[k]))
            {
                throw new InvalidDataException($"World file: {what} hold a non-finite value at index {k}.");
            }
        }

        return values;
    }
}
