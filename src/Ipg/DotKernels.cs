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
    /// The compact table's approximate dot products: <c>destination[p] = scales[p] · (vector · q_p)</c> with
    /// <c>q_p</c> = the int8 row <c>rows[p·d .. p·d + d)</c>, d = <c>vector.Length</c>. The int8 values are
    /// widened to fp32 (no quantisation of the vector). Eight rows at a time with AVX-512 (d a multiple of 16) or
    /// AVX2/FMA (d a multiple of 8); a scalar loop otherwise and for the last rows.
    /// </summary>
    public static void QuantizedRowDots(ReadOnlySpan<float> vector, ReadOnlySpan<sbyte> rows, ReadOnlySpan<float> scales, Span<float> destination)
    {
        int d = vector.Length;
        int count = destination.Length;
        if ((long)count * d > rows.Length || count > scales.Length)
        {
            throw new ArgumentException($"{count} rows of {d} need {(long)count * d} values and {count} scales; got {rows.Length} and {scales.Length}.", nameof(rows));
        }

        int p = 0;
        if (Avx512F.IsSupported && d > 0 && (d & 15) == 0)
        {
            p = QuantizedRowDotsAvx512(vector, rows, scales, destination);
        }
        else if (IsAccelerated(d) && Avx2.IsSupported)
        {
            p = QuantizedRowDotsAvx2(vector, rows, scales, destination);
        }

        for (; p < count; p++)
        {
            var row = rows.Slice(p * d, d);
            float sum = 0f;
            for (int k = 0; k < d; k++)
            {
                sum += vector[k] * row[k];
            }

            destination[p] = scales[p] * sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int QuantizedRowDotsAvx512(ReadOnlySpan<float> vector, ReadOnlySpan<sbyte> rows, ReadOnlySpan<float> scales, Span<float> destination)
    {
        int d = vector.Length;
        int blocks = destination.Length / 8;
        ref float v = ref MemoryMarshal.GetReference(vector);
        ref sbyte table = ref MemoryMarshal.GetReference(rows);
        ref float scale = ref MemoryMarshal.GetReference(scales);
        ref float output = ref MemoryMarshal.GetReference(destination);
        nuint stride = (nuint)d;
        for (int b = 0; b < blocks; b++)
        {
            ref sbyte r = ref Unsafe.Add(ref table, (nint)b * 8 * d);
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (nuint k = 0; k < stride; k += 16)
            {
                Vector512<float> x = Vector512.LoadUnsafe(ref v, k);
                a0 = Avx512F.FusedMultiplyAdd(Widen(ref r, k), x, a0);
                a1 = Avx512F.FusedMultiplyAdd(Widen(ref r, k + stride), x, a1);
                a2 = Avx512F.FusedMultiplyAdd(Widen(ref r, k + (2 * stride)), x, a2);
                a3 = Avx512F.FusedMultiplyAdd(Widen(ref r, k + (3 * stride)), x, a3);
                a4 = Avx512F.FusedMultiplyAdd(Widen(ref r, k + (4 * stride)), x, a4);
                a5 = Avx512F.FusedMultiplyAdd(Widen(ref r, k + (5 * stride)), x, a5);
                a6 = Avx512F.FusedMultiplyAdd(Widen(ref r, k + (6 * stride)), x, a6);
                a7 = Avx512F.FusedMultiplyAdd(Widen(ref r, k + (7 * stride)), x, a7);
            }

            Vector256<float> sums = Reduce8(Fold(a0), Fold(a1), Fold(a2), Fold(a3), Fold(a4), Fold(a5), Fold(a6), Fold(a7));
            (sums * Vector256.LoadUnsafe(ref scale, (nuint)b * 8)).StoreUnsafe(ref output, (nuint)b * 8);
        }

        return blocks * 8;

        static Vector512<float> Widen(ref sbyte row, nuint k)
            => Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref row, k)));

        static Vector256<float> Fold(Vector512<float> a) => a.GetLower() + a.GetUpper();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int QuantizedRowDotsAvx2(ReadOnlySpan<float> vector, ReadOnlySpan<sbyte> rows, ReadOnlySpan<float> scales, Span<float> destination)
    {
        int d = vector.Length;
        int blocks = destination.Length / 8;
        ref float v = ref MemoryMarshal.GetReference(vector);
        ref sbyte table = ref MemoryMarshal.GetReference(rows);
        ref float scale = ref MemoryMarshal.GetReference(scales);
        ref float output = ref MemoryMarshal.GetReference(destination);
        nuint stride = (nuint)d;
        for (int b = 0; b < blocks; b++)
        {
            ref sbyte r = ref Unsafe.Add(ref table, (nint)b * 8 * d);
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (nuint k = 0; k < stride; k += 8)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref v, k);
                a0 = Fma.MultiplyAdd(Widen(ref r, k), x, a0);
                a1 = Fma.MultiplyAdd(Widen(ref r, k + stride), x, a1);
                a2 = Fma.MultiplyAdd(Widen(ref r, k + (2 * stride)), x, a2);
                a3 = Fma.MultiplyAdd(Widen(ref r, k + (3 * stride)), x, a3);
                a4 = Fma.MultiplyAdd(Widen(ref r, k + (4 * stride)), x, a4);
                a5 = Fma.MultiplyAdd(Widen(ref r, k + (5 * stride)), x, a5);
                a6 = Fma.MultiplyAdd(Widen(ref r, k + (6 * stride)), x, a6);
                a7 = Fma.MultiplyAdd(Widen(ref r, k + (7 * stride)), x, a7);
            }

            Vector256<float> sums = Reduce8(a0, a1, a2, a3, a4, a5, a6, a7);
            (sums * Vector256.LoadUnsafe(ref scale, (nuint)b * 8)).StoreUnsafe(ref output, (nuint)b * 8);
        }

        return blocks * 8;

        static Vector256<float> Widen(ref sbyte row, nuint k)
            => Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref row, k)))).AsSByte()));
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
