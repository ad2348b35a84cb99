using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ipg;

/// <summary>
/// Dot products of one vector with many contiguous rows (a mat-vec over a row-major table): the inner loop of
/// catalogue scoring.
/// </summary>
/// <remarks>
/// Calling <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> once per row costs about
/// 10 ns per row at d = 48, most of it call and reduction overhead, not arithmetic. The AVX2/FMA path takes eight
/// rows at a time with eight accumulators and reduces them together with a horizontal-add tree (nine shuffles
/// for eight sums instead of eight separate reductions). It needs d to be a multiple of 8; other shapes, other
/// CPUs and the last rows use <c>TensorPrimitives.Dot</c>. The two paths add in different orders, so results
/// may differ in the last bits (about 1e-7 relative); each path is deterministic.
/// </remarks>
internal static class DotKernels
{
    /// <summary>Whether the blocked path runs for rows of <paramref name="dimension"/> floats on this CPU.</summary>
    public static bool IsAccelerated(int dimension) => Avx.IsSupported && Fma.IsSupported && dimension > 0 && (dimension & 7) == 0;

    /// <summary>
    /// <c>destination[p] = vector · rows[p·d .. p·d + d)</c> for every p; d = <c>vector.Length</c>;
    /// <paramref name="rows"/> holds at least <c>destination.Length · d</c> floats.
    /// </summary>
    public static void RowDots(ReadOnlySpan<float> vector, ReadOnlySpan<float> rows, Span<float> destination)
    {
        int d = vector.Length;
        int count = destination.Length;
        if ((long)count * d > rows.Length)
        {
            throw new ArgumentException($"{count} rows of {d} need {(long)count * d} floats; the table has {rows.Length}.", nameof(rows));
        }

        int p = 0;
        if (IsAccelerated(d))
        {
            p = RowDotsAvx(vector, rows, destination);
        }

        for (; p < count; p++)
        {
            destination[p] = TensorPrimitives.Dot(vector, rows.Slice(p * d, d));
        }
    }

    /// <summary>
    /// Row <paramref name="position"/>'s dot product exactly as <see cref="RowDots"/> computes it over
    /// <paramref name="count"/> rows (bit for bit: the blocked path's accumulation and reduction order for rows in
    /// whole blocks of eight, <c>TensorPrimitives.Dot</c> for the last rows and other shapes). The exact re-score of
    /// a shortlist uses it so that its logits are the catalogue pass's.
    /// </summary>
    public static float RowDotAt(ReadOnlySpan<float> vector, ReadOnlySpan<float> rows, int position, int count)
    {
        int d = vector.Length;
        var row = rows.Slice(position * d, d);
        if (!IsAccelerated(d) || position >= count / 8 * 8)
        {
            return TensorPrimitives.Dot(vector, row);
        }

        ref float v = ref MemoryMarshal.GetReference(vector);
        ref float r = ref MemoryMarshal.GetReference(row);
        Vector256<float> a = Vector256<float>.Zero;
        for (nuint k = 0; k < (nuint)d; k += 8)
        {
            a = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k), Vector256.LoadUnsafe(ref v, k), a);
        }

        // The horizontal-add tree of RowDotsAvx leaves ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) for each row.
        return ((a.GetElement(0) + a.GetElement(1)) + (a.GetElement(2) + a.GetElement(3)))
            + ((a.GetElement(4) + a.GetElement(5)) + (a.GetElement(6) + a.GetElement(7)));
    }

    /// <summary>
    /// The compact table's approximate dot products: <c>destination[p] ≈ scales[p] · (vector · q_p)</c> with
    /// <c>q_p</c> = the int8 row <c>rows[p·d .. p·d + d)</c>, d = the vector's length; eight rows at a time with eight
    /// int32 accumulators, on the kernel the vector was prepared for (<see cref="QuantizedVector"/>).
    /// </summary>
    /// <remarks>
    /// <para><b>AVX-VNNI</b> (.NET 10; d a multiple of 16 up to <see cref="MaxIntegerDimension"/>): the vector as int8,
    /// <c>vpdpbusd</c> over 32 bytes a step (3 instructions per 32 bytes, what keeps a single core streaming the table
    /// near its memory bandwidth: the fp32-widening kernel it replaced reached 7.4 GB/s at d = 128, this one 12).
    /// <b>AVX2</b>: the vector as int16, rows widened to int16, <c>vpmaddwd</c> (no overflow: a lane sums at most d/8
    /// products of |q| ≤ 127 and |v| ≤ 32767). Both are exact integer sums of the quantised operands, converted to
    /// fp32 once per row. Other shapes and CPUs, and the last rows, widen the int8 values to fp32 in a scalar loop.</para>
    /// </remarks>
    public static void QuantizedRowDots(in QuantizedVector vector, ReadOnlySpan<sbyte> rows, ReadOnlySpan<float> scales, Span<float> destination)
    {
        int d = vector.Values.Length;
        int count = destination.Length;
        if ((long)count * d > rows.Length || count > scales.Length)
        {
            throw new ArgumentException($"{count} rows of {d} need {(long)count * d} values and {count} scales; got {rows.Length} and {scales.Length}.", nameof(rows));
        }

        int p = 0;
        if (count >= 8)
        {
#if NET10_0_OR_GREATER
            if (vector.Path == QuantizedPath.Vnni)
            {
                p = QuantizedRowDotsVnni(vector.Int8, vector.Scale, vector.Correction, rows, scales, destination);
            }
#endif
            if (vector.Path == QuantizedPath.Avx2)
            {
                p = QuantizedRowDotsAvx2(vector.Int16, vector.Scale, rows, scales, destination);
            }
        }

        var values = vector.Values;
        for (; p < count; p++)
        {
            var row = rows.Slice(p * d, d);
            float sum = 0f;
            for (int k = 0; k < d; k++)
            {
                sum += values[k] * row[k];
            }

            destination[p] = scales[p] * sum;
        }
    }

    /// <summary>Bytes of scratch <see cref="QuantizedVector"/> needs for a vector of <paramref name="dimension"/> (0 when no integer path takes it).</summary>
    public static int QuantizedBufferBytes(int dimension) => dimension > 0 && (dimension & 15) == 0 && dimension <= MaxIntegerDimension ? 2 * dimension : 0;

    /// <summary>The largest d the integer path of <see cref="QuantizedRowDots"/> takes (int32 lanes cannot overflow below it).</summary>
    public const int MaxIntegerDimension = 4096;

#if NET10_0_OR_GREATER
    /// <summary>
    /// The AVX-VNNI path: <c>vpdpbusd</c> multiplies unsigned by signed bytes, so each row byte is flipped to
    /// <c>q + 128</c> (XOR 0x80) and <c>128·Σ v_q</c> is subtracted from every row's int32 sum. 32 bytes a step, a
    /// 16-byte step for the rest (d a multiple of 16).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int QuantizedRowDotsVnni(ReadOnlySpan<sbyte> vector, float vectorScale, int correction, ReadOnlySpan<sbyte> rows, ReadOnlySpan<float> scales, Span<float> destination)
    {
        int d = vector.Length;
        int blocks = destination.Length / 8;
        ref sbyte v = ref MemoryMarshal.GetReference(vector);
        ref sbyte table = ref MemoryMarshal.GetReference(rows);
        ref float scale = ref MemoryMarshal.GetReference(scales);
        ref float output = ref MemoryMarshal.GetReference(destination);
        nuint stride = (nuint)d;
        nuint whole = (nuint)(d & ~31);
        bool half = (d & 16) != 0;
        Vector256<sbyte> last = half ? Vector128.LoadUnsafe(ref v, whole).ToVector256() : default;
        Vector256<int> offset = Vector256.Create(correction);
        Vector256<float> vs = Vector256.Create(vectorScale);
        for (int b = 0; b < blocks; b++)
        {
            ref sbyte r = ref Unsafe.Add(ref table, (nint)b * 8 * d);
            Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (nuint k = 0; k < whole; k += 32)
            {
                Vector256<sbyte> x = Vector256.LoadUnsafe(ref v, k);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Flip(ref r, k), x);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Flip(ref r, k + stride), x);
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, Flip(ref r, k + (2 * stride)), x);
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, Flip(ref r, k + (3 * stride)), x);
                a4 = AvxVnni.MultiplyWideningAndAdd(a4, Flip(ref r, k + (4 * stride)), x);
                a5 = AvxVnni.MultiplyWideningAndAdd(a5, Flip(ref r, k + (5 * stride)), x);
                a6 = AvxVnni.MultiplyWideningAndAdd(a6, Flip(ref r, k + (6 * stride)), x);
                a7 = AvxVnni.MultiplyWideningAndAdd(a7, Flip(ref r, k + (7 * stride)), x);
            }

            if (half)
            {
                // The last 16 bytes in the low half; the upper half is zero in both operands (0 × 0).
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, FlipHalf(ref r, whole), last);
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, FlipHalf(ref r, whole + stride), last);
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, FlipHalf(ref r, whole + (2 * stride)), last);
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, FlipHalf(ref r, whole + (3 * stride)), last);
                a4 = AvxVnni.MultiplyWideningAndAdd(a4, FlipHalf(ref r, whole + (4 * stride)), last);
                a5 = AvxVnni.MultiplyWideningAndAdd(a5, FlipHalf(ref r, whole + (5 * stride)), last);
                a6 = AvxVnni.MultiplyWideningAndAdd(a6, FlipHalf(ref r, whole + (6 * stride)), last);
                a7 = AvxVnni.MultiplyWideningAndAdd(a7, FlipHalf(ref r, whole + (7 * stride)), last);
            }

            // Integer horizontal sums (exact), then the correction, then fp32.
            Vector256<int> s0123 = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a0, a1), Avx2.HorizontalAdd(a2, a3));
            Vector256<int> s4567 = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a4, a5), Avx2.HorizontalAdd(a6, a7));
            Vector256<int> sums = Avx2.Permute2x128(s0123, s4567, 0x20) + Avx2.Permute2x128(s0123, s4567, 0x31) - offset;
            (Avx.ConvertToVector256Single(sums) * Vector256.LoadUnsafe(ref scale, (nuint)b * 8) * vs).StoreUnsafe(ref output, (nuint)b * 8);
        }

        return blocks * 8;

        static Vector256<byte> Flip(ref sbyte row, nuint k) => Vector256.LoadUnsafe(ref row, k).AsByte() ^ Vector256.Create((byte)0x80);

        static Vector256<byte> FlipHalf(ref sbyte row, nuint k) => (Vector128.LoadUnsafe(ref row, k).AsByte() ^ Vector128.Create((byte)0x80)).ToVector256();
    }
#endif

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int QuantizedRowDotsAvx2(ReadOnlySpan<short> vector, float vectorScale, ReadOnlySpan<sbyte> rows, ReadOnlySpan<float> scales, Span<float> destination)
    {
        int d = vector.Length;
        int blocks = destination.Length / 8;
        ref short v = ref MemoryMarshal.GetReference(vector);
        ref sbyte table = ref MemoryMarshal.GetReference(rows);
        ref float scale = ref MemoryMarshal.GetReference(scales);
        ref float output = ref MemoryMarshal.GetReference(destination);
        nuint stride = (nuint)d;
        Vector256<float> vs = Vector256.Create(vectorScale);
        for (int b = 0; b < blocks; b++)
        {
            ref sbyte r = ref Unsafe.Add(ref table, (nint)b * 8 * d);
            Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (nuint k = 0; k < stride; k += 16)
            {
                Vector256<short> x = Vector256.LoadUnsafe(ref v, k);
                a0 += Avx2.MultiplyAddAdjacent(Widen(ref r, k), x);
                a1 += Avx2.MultiplyAddAdjacent(Widen(ref r, k + stride), x);
                a2 += Avx2.MultiplyAddAdjacent(Widen(ref r, k + (2 * stride)), x);
                a3 += Avx2.MultiplyAddAdjacent(Widen(ref r, k + (3 * stride)), x);
                a4 += Avx2.MultiplyAddAdjacent(Widen(ref r, k + (4 * stride)), x);
                a5 += Avx2.MultiplyAddAdjacent(Widen(ref r, k + (5 * stride)), x);
                a6 += Avx2.MultiplyAddAdjacent(Widen(ref r, k + (6 * stride)), x);
                a7 += Avx2.MultiplyAddAdjacent(Widen(ref r, k + (7 * stride)), x);
            }

            Vector256<float> sums = Reduce8(
                Avx.ConvertToVector256Single(a0), Avx.ConvertToVector256Single(a1), Avx.ConvertToVector256Single(a2), Avx.ConvertToVector256Single(a3),
                Avx.ConvertToVector256Single(a4), Avx.ConvertToVector256Single(a5), Avx.ConvertToVector256Single(a6), Avx.ConvertToVector256Single(a7));
            (sums * Vector256.LoadUnsafe(ref scale, (nuint)b * 8) * vs).StoreUnsafe(ref output, (nuint)b * 8);
        }

        return blocks * 8;

        static Vector256<short> Widen(ref sbyte row, nuint k) => Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, k));
    }

    /// <summary>The eight horizontal sums of eight accumulators (a horizontal-add tree, as in <see cref="RowDotsAvx"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Reduce8(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        Vector256<float> s0123 = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        Vector256<float> s4567 = Avx.HorizontalAdd(Avx.HorizontalAdd(a4, a5), Avx.HorizontalAdd(a6, a7));
        return Avx.Permute2x128(s0123, s4567, 0x20) + Avx.Permute2x128(s0123, s4567, 0x31);
    }

    /// <summary>The blocked AVX2/FMA path over whole blocks of eight rows; returns the number of rows done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RowDotsAvx(ReadOnlySpan<float> vector, ReadOnlySpan<float> rows, Span<float> destination)
    {
        int d = vector.Length;
        int blocks = destination.Length / 8;
        ref float v = ref MemoryMarshal.GetReference(vector);
        ref float table = ref MemoryMarshal.GetReference(rows);
        ref float output = ref MemoryMarshal.GetReference(destination);
        nuint stride = (nuint)d;
        for (int b = 0; b < blocks; b++)
        {
            ref float r = ref Unsafe.Add(ref table, (nint)b * 8 * d);
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (nuint k = 0; k < stride; k += 8)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref v, k);
                a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k), x, a0);
                a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k + stride), x, a1);
                a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k + (2 * stride)), x, a2);
                a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k + (3 * stride)), x, a3);
                a4 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k + (4 * stride)), x, a4);
                a5 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k + (5 * stride)), x, a5);
                a6 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k + (6 * stride)), x, a6);
                a7 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref r, k + (7 * stride)), x, a7);
            }

            // hadd(a, b) = [a0+a1, a2+a3, b0+b1, b2+b3 | a4+a5, a6+a7, b4+b5, b6+b7]; two levels leave, per 128-bit
            // lane, the partial sums of rows 0-3 (and 4-7); adding the low and high lanes finishes all eight.
            Vector256<float> s0123 = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
            Vector256<float> s4567 = Avx.HorizontalAdd(Avx.HorizontalAdd(a4, a5), Avx.HorizontalAdd(a6, a7));
            Vector256<float> sums = Avx.Permute2x128(s0123, s4567, 0x20) + Avx.Permute2x128(s0123, s4567, 0x31);
            sums.StoreUnsafe(ref output, (nuint)b * 8);
        }

        return blocks * 8;
    }
}

/// <summary>Which kernel of <see cref="DotKernels.QuantizedRowDots"/> a <see cref="QuantizedVector"/> was prepared for.</summary>
internal enum QuantizedPath
{
    /// <summary>fp32 values against widened int8 rows, one row at a time.</summary>
    Scalar,

    /// <summary>The vector as int16, <c>vpmaddwd</c> (AVX2).</summary>
    Avx2,

    /// <summary>The vector as int8, <c>vpdpbusd</c> (AVX-VNNI, .NET 10).</summary>
    Vnni,
}

/// <summary>
/// A vector prepared once per call for <see cref="DotKernels.QuantizedRowDots"/> (the int8 compact table's first
/// stage): the kernel that runs on this CPU for its dimension, and the vector quantised for it with its own
/// symmetric scale — int8 for AVX-VNNI (<c>max |v| / 127</c>, the same precision as the rows), int16 for AVX2
/// (<c>max |v| / 32767</c>). The fp32 values are kept for the scalar rows.
/// </summary>
internal readonly ref struct QuantizedVector
{
    /// <summary>Prepares <paramref name="values"/>; <paramref name="buffer"/> holds <see cref="DotKernels.QuantizedBufferBytes"/> bytes and must outlive this value.</summary>
    public QuantizedVector(ReadOnlySpan<float> values, Span<byte> buffer)
    {
        Values = values;
        int d = values.Length;
        Path = QuantizedPath.Scalar;
        if (buffer.Length < DotKernels.QuantizedBufferBytes(d) || DotKernels.QuantizedBufferBytes(d) == 0)
        {
            return;
        }

        float max = MathF.Abs(TensorPrimitives.MaxMagnitude(values));
#if NET10_0_OR_GREATER
        if (AvxVnni.IsSupported)
        {
            var q = MemoryMarshal.Cast<byte, sbyte>(buffer[..d]);
            Scale = Quantize(values, max, 127f, out int sum, q);
            Correction = 128 * sum;
            Int8 = q;
            Path = QuantizedPath.Vnni;
            return;
        }
#endif
        if (Avx2.IsSupported)
        {
            var q = MemoryMarshal.Cast<byte, short>(buffer[..(2 * d)]);
            Scale = Quantize(values, max, 32767f, out _, q);
            Int16 = q;
            Path = QuantizedPath.Avx2;
        }
    }

    /// <summary>Wraps a vector prepared earlier into <paramref name="buffer"/> (<see cref="Form"/> of that value): no quantisation again.</summary>
    public QuantizedVector(ReadOnlySpan<float> values, Span<byte> buffer, QuantizedForm form)
    {
        Values = values;
        Path = form.Path;
        Scale = form.Scale;
        Correction = form.Correction;
        int d = values.Length;
        if (Path == QuantizedPath.Vnni)
        {
            Int8 = MemoryMarshal.Cast<byte, sbyte>(buffer[..d]);
        }
        else if (Path == QuantizedPath.Avx2)
        {
            Int16 = MemoryMarshal.Cast<byte, short>(buffer[..(2 * d)]);
        }
    }

    /// <summary>What <see cref="QuantizedVector(ReadOnlySpan{float}, Span{byte}, QuantizedForm)"/> needs besides the buffer.</summary>
    public QuantizedForm Form => new(Path, Scale, Correction);

    /// <summary>The fp32 vector.</summary>
    public ReadOnlySpan<float> Values { get; }

    /// <summary>The kernel the vector was prepared for.</summary>
    public QuantizedPath Path { get; }

    /// <summary>The quantised vector's scale (the vector ≈ Scale · its integer form); 0 for the zero vector.</summary>
    public float Scale { get; }

    /// <summary>The int8 form (<see cref="QuantizedPath.Vnni"/>).</summary>
    public ReadOnlySpan<sbyte> Int8 { get; }

    /// <summary><c>128 · Σ</c> of the int8 form: what flipping the rows' sign bit adds to every sum (<see cref="QuantizedPath.Vnni"/>).</summary>
    public int Correction { get; }

    /// <summary>The int16 form (<see cref="QuantizedPath.Avx2"/>).</summary>
    public ReadOnlySpan<short> Int16 { get; }

    private static float Quantize<T>(ReadOnlySpan<float> values, float max, float levels, out int sum, Span<T> destination)
        where T : struct, IBinaryInteger<T>
    {
        sum = 0;
        float scale = max / levels;
        if (!(scale > 0f))
        {
            destination.Clear();
            return 0f;
        }

        for (int k = 0; k < values.Length; k++)
        {
            int q = (int)Math.Clamp(MathF.Round(values[k] / scale, MidpointRounding.ToEven), -levels, levels);
            destination[k] = T.CreateTruncating(q);
            sum += q;
        }

        return scale;
    }
}

/// <summary>The scalars of a prepared <see cref="QuantizedVector"/> (its integer form stays in the caller's buffer).</summary>
internal readonly record struct QuantizedForm(QuantizedPath Path, float Scale, int Correction);
