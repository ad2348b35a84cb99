using System.Buffers.Binary;
using System.Text;

namespace Ipg.Tests.Shared;

/// <summary>One mutant of a file: how it was made (for the report and a failure message) and its bytes.</summary>
/// <param name="Kind">The mutation family, e.g. "truncate", "bit flip", "forged count".</param>
/// <param name="Detail">Where and what, e.g. "at 1234: 7 → 2147483647".</param>
/// <param name="Bytes">The mutated file.</param>
internal sealed record Mutant(string Kind, string Detail, byte[] Bytes)
{
    public override string ToString() => $"{Kind} ({Detail}, {Bytes.Length} bytes)";
}

/// <summary>
/// Deterministic mutants of a valid file, for the hostile-file corpus (docs/reliability.md "Hostile files"): truncations,
/// bit flips, interesting bytes, forged 32-bit counts and 64-bit values, deleted / duplicated / inserted ranges, and,
/// for protobuf, forged varints (length prefixes and values) found by walking the wire format. The same seed gives the
/// same mutants on every machine (System.Random with a seed is stable across .NET versions).
/// </summary>
internal static class Mutator
{
    private static readonly int[] s_interestingInts = [0, 1, -1, 2, 255, 256, 65_535, 65_536, 1 << 20, 1 << 24, 1 << 30, int.MaxValue, int.MaxValue - 7, int.MinValue, -2];

    private static readonly ulong[] s_interestingVarints =
    [
        0, 1, 2, 127, 128, 16_384, 1 << 20, 1 << 28, int.MaxValue, uint.MaxValue, (ulong)int.MaxValue + 1, 1UL << 40, long.MaxValue, ulong.MaxValue,
    ];

    private static readonly double[] s_interestingDoubles = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.MaxValue, double.Epsilon, -1, 1e300];

    /// <summary>
    /// <paramref name="count"/> mutants of <paramref name="original"/>. <paramref name="reseal"/>, for formats with a
    /// trailing checksum, recomputes it: it is applied to most mutants (so they reach the parser behind the checksum) and
    /// left off a few (so the checksum itself is tested). <paramref name="protobuf"/> adds the wire-format mutations.
    /// </summary>
    public static List<Mutant> Create(byte[] original, int count, int seed, Func<byte[], byte[]>? reseal = null, bool protobuf = false)
    {
        ArgumentNullException.ThrowIfNull(original);
        var random = new Random(seed);
        var varints = protobuf ? ProtobufVarints(original) : [];
        var counts = protobuf ? [] : CountLikeOffsets(original);
        var mutants = new List<Mutant>(count);

        // Truncations at every small length, around every 1/16th, and one byte short: a half-copied file.
        var cuts = new SortedSet<int> { 0, 1, 2, 3, 4, 7, 8, 11, 12, 15, 16, 31, 32, 63, 64, original.Length - 1, original.Length - 32, original.Length - 33 };
        for (var k = 1; k < 16; k++)
        {
            cuts.Add(original.Length * k / 16);
        }

        foreach (var cut in cuts.Where(c => c >= 0 && c < original.Length))
        {
            mutants.Add(new Mutant("truncate", $"to {cut}", original[..cut]));
            if (reseal is not null && cut > 40)
            {
                mutants.Add(new Mutant("truncate, resealed", $"to {cut}", reseal(original[..cut])));
            }
        }

        var kinds = protobuf ? 8 : 7;
        while (mutants.Count < count)
        {
            var bytes = (byte[])original.Clone();
            string kind;
            string detail;
            var choice = random.Next(kinds);
            switch (choice)
            {
                case 0:
                {
                    var flips = 1 + random.Next(8);
                    var at = new List<int>();
                    for (var f = 0; f < flips; f++)
                    {
                        var bit = random.Next(bytes.Length * 8);
                        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                        at.Add(bit);
                    }

                    kind = "bit flip";
                    detail = "bits " + string.Join(",", at);
                    break;
                }

                case 1:
                {
                    var at = random.Next(bytes.Length);
                    byte[] values = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];
                    var value = values[random.Next(values.Length)];
                    var run = 1 + random.Next(8);
                    for (var k = 0; k < run && at + k < bytes.Length; k++)
                    {
                        bytes[at + k] = value;
                    }

                    kind = "interesting bytes";
                    detail = $"{run} × 0x{value:X2} at {at}";
                    break;
                }

                case 2:
                {
                    // A forged count: a 32-bit value that looks like a count or length (binary formats), else anywhere.
                    var at = counts.Count > 0 && random.Next(4) != 0 ? counts[random.Next(counts.Count)] : random.Next(Math.Max(1, bytes.Length - 4));
                    var value = s_interestingInts[random.Next(s_interestingInts.Length)];
                    if (at + 4 <= bytes.Length)
                    {
                        var old = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
                        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), value);
                        detail = $"at {at}: {old} → {value}";
                    }
                    else
                    {
                        detail = "no room";
                    }

                    kind = "forged count";
                    break;
                }

                case 3:
                {
                    var at = random.Next(Math.Max(1, bytes.Length - 8));
                    var value = s_interestingDoubles[random.Next(s_interestingDoubles.Length)];
                    if (at + 8 <= bytes.Length)
                    {
                        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), value);
                    }

                    kind = "forged double";
                    detail = $"at {at}: {value}";
                    break;
                }

                case 4 or 5:
                {
                    // Delete a range of up to 256 bytes, or repeat it right after itself.
                    var at = random.Next(bytes.Length);
                    var length = 1 + random.Next(Math.Min(256, bytes.Length - at));
                    var delete = choice == 4;
                    bytes = delete ? [.. bytes[..at], .. bytes[(at + length)..]] : [.. bytes[..(at + length)], .. bytes[at..(at + length)], .. bytes[(at + length)..]];
                    kind = delete ? "delete range" : "duplicate range";
                    detail = $"{length} bytes at {at}";
                    break;
                }

                case 6:
                {
                    var at = random.Next(bytes.Length + 1);
                    var insert = new byte[1 + random.Next(32)];
                    random.NextBytes(insert);
                    bytes = [.. bytes[..at], .. insert, .. bytes[at..]];
                    kind = "insert random";
                    detail = $"{insert.Length} bytes at {at}";
                    break;
                }

                default:
                {
                    // Protobuf: rewrite one varint (a tag, a length prefix, or a value) with an interesting value.
                    var (at, width, old, isLength) = varints[random.Next(varints.Count)];
                    var value = isLength && random.Next(3) == 0
                        ? (ulong)Math.Max(0, (long)old + random.Next(-3, 4))
                        : s_interestingVarints[random.Next(s_interestingVarints.Length)];
                    bytes = [.. bytes[..at], .. Varint(value), .. bytes[(at + width)..]];
                    kind = isLength ? "forged length" : "forged varint";
                    detail = $"at {at}: {old} → {value}";
                    break;
                }
            }

            if (reseal is not null && random.Next(10) != 0)
            {
                bytes = reseal(bytes);
                kind += ", resealed";
            }

            mutants.Add(new Mutant(kind, detail, bytes));
        }

        return mutants;
    }

    /// <summary>The protobuf encoding of <paramref name="value"/>.</summary>
    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>(10);
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }

    /// <summary>A length-delimited protobuf field: tag (field, wire type 2), length, payload.</summary>
    public static byte[] LengthDelimited(int field, ReadOnlySpan<byte> payload) => [.. Varint(((ulong)field << 3) | 2), .. Varint((ulong)payload.Length), .. payload];

    /// <summary>
    /// Every varint of a protobuf message and of every length-delimited field that itself parses as a message: its
    /// offset, width, value and whether it is a length prefix.
    /// </summary>
    private static List<(int At, int Width, ulong Value, bool IsLength)> ProtobufVarints(byte[] data)
    {
        var found = new List<(int, int, ulong, bool)>();
        Walk(data, 0, data.Length, 0, found);
        return found;
    }

    private static bool Walk(byte[] data, int start, int end, int depth, List<(int, int, ulong, bool)> found)
    {
        var local = new List<(int, int, ulong, bool)>();
        var nested = new List<(int Start, int End)>();
        var p = start;
        while (p < end)
        {
            var tagAt = p;
            if (!TryVarint(data, ref p, end, out var tag) || (tag >> 3) == 0)
            {
                return false;
            }

            local.Add((tagAt, p - tagAt, tag, false));
            switch ((int)(tag & 7))
            {
                case 0:
                    var valueAt = p;
                    if (!TryVarint(data, ref p, end, out var value))
                    {
                        return false;
                    }

                    local.Add((valueAt, p - valueAt, value, false));
                    break;
                case 1:
                    p += 8;
                    break;
                case 5:
                    p += 4;
                    break;
                case 2:
                    var lengthAt = p;
                    if (!TryVarint(data, ref p, end, out var length) || length > (ulong)(end - p))
                    {
                        return false;
                    }

                    local.Add((lengthAt, p - lengthAt, length, true));
                    nested.Add((p, p + (int)length));
                    p += (int)length;
                    break;
                default:
                    return false;
            }

            if (p > end)
            {
                return false;
            }
        }

        found.AddRange(local);
        if (depth < 24)
        {
            foreach (var (s, e) in nested.Where(n => n.End - n.Start is > 1 and < 1 << 16))
            {
                Walk(data, s, e, depth + 1, found);
            }
        }

        return true;
    }

    private static bool TryVarint(byte[] data, ref int p, int end, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && p < end; shift += 7)
        {
            var b = data[p++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Offsets of little-endian int32 values between 1 and 10⁷: counts, lengths and sizes in a binary format.</summary>
    private static List<int> CountLikeOffsets(byte[] data)
    {
        var offsets = new List<int>();
        for (var at = 0; at + 4 <= data.Length; at++)
        {
            var v = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));
            if (v is >= 1 and <= 10_000_000)
            {
                offsets.Add(at);
            }
        }

        return offsets;
    }

    /// <summary>JSON nested <paramref name="depth"/> levels deep inside an otherwise valid document's first object.</summary>
    public static byte[] DeepJson(byte[] valid, int depth)
    {
        var text = Encoding.UTF8.GetString(valid);
        var brace = text.IndexOf('{', StringComparison.Ordinal);
        var nested = "\"deep\": " + new string('[', depth) + new string(']', depth) + ", ";
        return Encoding.UTF8.GetBytes(text[..(brace + 1)] + nested + text[(brace + 1)..]);
    }
}
