using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ipg.Encoders.Managed;

/// <summary>
/// A linear map prepared for <see cref="DenseKernels.MatMul"/>: W [in, stride] row-major with the output
/// columns padded with zeros to <c>stride</c> (<see cref="DenseKernels.StrideFor"/>), bias [stride] likewise.
/// </summary>
internal sealed class PaddedLinear
{
    public PaddedLinear(LinearWeights source, int stride)
    {
        In = source.In;
        Out = source.Out;
        Stride = stride;
        Weight = new float[In * stride];
        Bias = new float[stride];
        for (int k = 0; k < In; k++)
        {
            source.Weight.AsSpan(k * Out, Out).CopyTo(Weight.AsSpan(k * stride));
        }

        source.Bias.CopyTo(Bias, 0);
    }

    public int In { get; }

    public int Out { get; }

    public int Stride { get; }

    public float[] Weight { get; }

    public float[] Bias { get; }
}

/// <summary>A LayerNormalization's scale and bias padded with zeros to the row stride.</summary>
internal sealed class PaddedNorm
{
    public PaddedNorm(LayerNormWeights source, int stride)
    {
        D = source.Scale.Length;
        Epsilon = source.Epsilon;
        Scale = new float[stride];
        Bias = new float[stride];
        source.Scale.CopyTo(Scale, 0);
        source.Bias.CopyTo(Bias, 0);
    }

    public int D { get; }

    public float Epsilon { get; }

    public float[] Scale { get; }

    public float[] Bias { get; }
}

/// <summary>The dense building blocks of the managed SASRec forward pass (row-major, rows padded to a stride that is a multiple of 8).</summary>
internal static class DenseKernels
{
    /// <summary>
    /// y[r, :] = x[r, :in] · W + b (then ReLU when <paramref name="relu"/>), for <paramref name="rows"/> rows
    /// of stride <c>w.Stride</c> in both <paramref name="x"/> and <paramref name="y"/>. Register-blocked: 4 rows ×
    /// 24 columns per inner loop. Columns past <c>w.Out</c> come out 0 (padded weights and bias). Uses 512-bit vectors when they are accelerated and the stride is a multiple of 16.
    /// </summary>
    public static void MatMul(ReadOnlySpan<float> x, int rows, PaddedLinear w, Span<float> y, bool relu = false)
    {
        int stride = w.Stride;
        int inputs = w.In;
        if (rows <= 0)
        {
            return;
        }

        if (x.Length < ((rows - 1) * stride) + inputs || y.Length < rows * stride)
        {
            throw new ArgumentException("MatMul buffers are too short.");
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetArrayDataReference(w.Weight);
        ref float br = ref MemoryMarshal.GetArrayDataReference(w.Bias);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && stride % 16 == 0)
        {
            MatMulWide(ref xr, ref wr, ref br, ref yr, rows, inputs, stride, relu);
            return;
        }

        int c = 0;
        for (; c + 24 <= stride; c += 24)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                Block4x3(ref Unsafe.Add(ref xr, r * stride), ref Unsafe.Add(ref wr, c), ref Unsafe.Add(ref br, c), ref Unsafe.Add(ref yr, (r * stride) + c), inputs, stride, relu);
            }

            for (; r < rows; r++)
            {
                Block1x3(ref Unsafe.Add(ref xr, r * stride), ref Unsafe.Add(ref wr, c), ref Unsafe.Add(ref br, c), ref Unsafe.Add(ref yr, (r * stride) + c), inputs, stride, relu);
            }
        }

        for (; c < stride; c += 8)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                Block4x1(ref Unsafe.Add(ref xr, r * stride), ref Unsafe.Add(ref wr, c), ref Unsafe.Add(ref br, c), ref Unsafe.Add(ref yr, (r * stride) + c), inputs, stride, relu);
            }

            for (; r < rows; r++)
            {
                Block1x1(ref Unsafe.Add(ref xr, r * stride), ref Unsafe.Add(ref wr, c), ref Unsafe.Add(ref br, c), ref Unsafe.Add(ref yr, (r * stride) + c), inputs, stride, relu);
            }
        }
    }

    /// <summary>The row stride for <paramref name="d"/> columns: a multiple of the widest accelerated vector (16 with AVX-512, else 8).</summary>
    public static int StrideFor(int d) => Vector512.IsHardwareAccelerated ? (d + 15) & ~15 : (d + 7) & ~7;

    /// <summary><see cref="MatMul"/> with 512-bit vectors: 4 rows × 48 columns per inner loop.</summary>
    private static void MatMulWide(ref float xr, ref float wr, ref float br, ref float yr, int rows, int inputs, int stride, bool relu)
    {
        int c = 0;
        for (; c + 48 <= stride; c += 48)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                Wide4x3(ref Unsafe.Add(ref xr, r * stride), ref Unsafe.Add(ref wr, c), ref Unsafe.Add(ref br, c), ref Unsafe.Add(ref yr, (r * stride) + c), inputs, stride, relu);
            }

            for (; r < rows; r++)
            {
                Wide1x3(ref Unsafe.Add(ref xr, r * stride), ref Unsafe.Add(ref wr, c), ref Unsafe.Add(ref br, c), ref Unsafe.Add(ref yr, (r * stride) + c), inputs, stride, relu);
            }
        }

        for (; c < stride; c += 16)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                Wide4x1(ref Unsafe.Add(ref xr, r * stride), ref Unsafe.Add(ref wr, c), ref Unsafe.Add(ref br, c), ref Unsafe.Add(ref yr, (r * stride) + c), inputs, stride, relu);
            }

            for (; r < rows; r++)
            {
                Wide1x1(ref Unsafe.Add(ref xr, r * stride), ref Unsafe.Add(ref wr, c), ref Unsafe.Add(ref br, c), ref Unsafe.Add(ref yr, (r * stride) + c), inputs, stride, relu);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(Vector256<float> acc, Vector256<float> bias, bool relu)
    {
        var v = acc + bias;
        return relu ? Vector256.Max(v, Vector256<float>.Zero) : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Finish(Vector512<float> acc, Vector512<float> bias, bool relu)
    {
        var v = acc + bias;
        return relu ? Vector512.Max(v, Vector512<float>.Zero) : v;
    }

    private static void Block4x3(ref float x, ref float w, ref float b, ref float y, int inputs, int stride, bool relu)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default;
        ref float x1 = ref Unsafe.Add(ref x, stride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * stride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * stride);
        for (int k = 0; k < inputs; k++)
        {
            ref float wk = ref Unsafe.Add(ref w, k * stride);
            var w0 = Vector256.LoadUnsafe(ref wk);
            var w1 = Vector256.LoadUnsafe(ref wk, 8);
            var w2 = Vector256.LoadUnsafe(ref wk, 16);
            var v0 = Vector256.Create(Unsafe.Add(ref x, k));
            var v1 = Vector256.Create(Unsafe.Add(ref x1, k));
            var v2 = Vector256.Create(Unsafe.Add(ref x2, k));
            var v3 = Vector256.Create(Unsafe.Add(ref x3, k));
            a00 = VectorFma.Fused(v0, w0, a00);
            a01 = VectorFma.Fused(v0, w1, a01);
            a02 = VectorFma.Fused(v0, w2, a02);
            a10 = VectorFma.Fused(v1, w0, a10);
            a11 = VectorFma.Fused(v1, w1, a11);
            a12 = VectorFma.Fused(v1, w2, a12);
            a20 = VectorFma.Fused(v2, w0, a20);
            a21 = VectorFma.Fused(v2, w1, a21);
            a22 = VectorFma.Fused(v2, w2, a22);
            a30 = VectorFma.Fused(v3, w0, a30);
            a31 = VectorFma.Fused(v3, w1, a31);
            a32 = VectorFma.Fused(v3, w2, a32);
        }

        var b0 = Vector256.LoadUnsafe(ref b);
        var b1 = Vector256.LoadUnsafe(ref b, 8);
        var b2 = Vector256.LoadUnsafe(ref b, 16);
        ref float y1 = ref Unsafe.Add(ref y, stride);
        ref float y2 = ref Unsafe.Add(ref y, 2 * stride);
        ref float y3 = ref Unsafe.Add(ref y, 3 * stride);
        Finish(a00, b0, relu).StoreUnsafe(ref y);
        Finish(a01, b1, relu).StoreUnsafe(ref y, 8);
        Finish(a02, b2, relu).StoreUnsafe(ref y, 16);
        Finish(a10, b0, relu).StoreUnsafe(ref y1);
        Finish(a11, b1, relu).StoreUnsafe(ref y1, 8);
        Finish(a12, b2, relu).StoreUnsafe(ref y1, 16);
        Finish(a20, b0, relu).StoreUnsafe(ref y2);
        Finish(a21, b1, relu).StoreUnsafe(ref y2, 8);
        Finish(a22, b2, relu).StoreUnsafe(ref y2, 16);
        Finish(a30, b0, relu).StoreUnsafe(ref y3);
        Finish(a31, b1, relu).StoreUnsafe(ref y3, 8);
        Finish(a32, b2, relu).StoreUnsafe(ref y3, 16);
    }

    private static void Block1x3(ref float x, ref float w, ref float b, ref float y, int inputs, int stride, bool relu)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default;
        for (int k = 0; k < inputs; k++)
        {
            ref float wk = ref Unsafe.Add(ref w, k * stride);
            var v = Vector256.Create(Unsafe.Add(ref x, k));
            a0 = VectorFma.Fused(v, Vector256.LoadUnsafe(ref wk), a0);
            a1 = VectorFma.Fused(v, Vector256.LoadUnsafe(ref wk, 8), a1);
            a2 = VectorFma.Fused(v, Vector256.LoadUnsafe(ref wk, 16), a2);
        }

        Finish(a0, Vector256.LoadUnsafe(ref b), relu).StoreUnsafe(ref y);
        Finish(a1, Vector256.LoadUnsafe(ref b, 8), relu).StoreUnsafe(ref y, 8);
        Finish(a2, Vector256.LoadUnsafe(ref b, 16), relu).StoreUnsafe(ref y, 16);
    }

    private static void Block4x1(ref float x, ref float w, ref float b, ref float y, int inputs, int stride, bool relu)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        ref float x1 = ref Unsafe.Add(ref x, stride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * stride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * stride);
        for (int k = 0; k < inputs; k++)
        {
            var wk = Vector256.LoadUnsafe(ref Unsafe.Add(ref w, k * stride));
            a0 = VectorFma.Fused(Vector256.Create(Unsafe.Add(ref x, k)), wk, a0);
            a1 = VectorFma.Fused(Vector256.Create(Unsafe.Add(ref x1, k)), wk, a1);
            a2 = VectorFma.Fused(Vector256.Create(Unsafe.Add(ref x2, k)), wk, a2);
            a3 = VectorFma.Fused(Vector256.Create(Unsafe.Add(ref x3, k)), wk, a3);
        }

        var bias = Vector256.LoadUnsafe(ref b);
        Finish(a0, bias, relu).StoreUnsafe(ref y);
        Finish(a1, bias, relu).StoreUnsafe(ref Unsafe.Add(ref y, stride));
        Finish(a2, bias, relu).StoreUnsafe(ref Unsafe.Add(ref y, 2 * stride));
        Finish(a3, bias, relu).StoreUnsafe(ref Unsafe.Add(ref y, 3 * stride));
    }

    private static void Block1x1(ref float x, ref float w, ref float b, ref float y, int inputs, int stride, bool relu)
    {
        Vector256<float> a = default;
        for (int k = 0; k < inputs; k++)
        {
            a = VectorFma.Fused(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref Unsafe.Add(ref w, k * stride)), a);
        }

        Finish(a, Vector256.LoadUnsafe(ref b), relu).StoreUnsafe(ref y);
    }

    private static void Wide4x3(ref float x, ref float w, ref float b, ref float y, int inputs, int stride, bool relu)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default;
        ref float x1 = ref Unsafe.Add(ref x, stride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * stride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * stride);
        for (int k = 0; k < inputs; k++)
        {
            ref float wk = ref Unsafe.Add(ref w, k * stride);
            var w0 = Vector512.LoadUnsafe(ref wk);
            var w1 = Vector512.LoadUnsafe(ref wk, 16);
            var w2 = Vector512.LoadUnsafe(ref wk, 32);
            var v0 = Vector512.Create(Unsafe.Add(ref x, k));
            var v1 = Vector512.Create(Unsafe.Add(ref x1, k));
            var v2 = Vector512.Create(Unsafe.Add(ref x2, k));
            var v3 = Vector512.Create(Unsafe.Add(ref x3, k));
            a00 = VectorFma.Fused(v0, w0, a00);
            a01 = VectorFma.Fused(v0, w1, a01);
            a02 = VectorFma.Fused(v0, w2, a02);
            a10 = VectorFma.Fused(v1, w0, a10);
            a11 = VectorFma.Fused(v1, w1, a11);
            a12 = VectorFma.Fused(v1, w2, a12);
            a20 = VectorFma.Fused(v2, w0, a20);
            a21 = VectorFma.Fused(v2, w1, a21);
            a22 = VectorFma.Fused(v2, w2, a22);
            a30 = VectorFma.Fused(v3, w0, a30);
            a31 = VectorFma.Fused(v3, w1, a31);
            a32 = VectorFma.Fused(v3, w2, a32);
        }

        var b0 = Vector512.LoadUnsafe(ref b);
        var b1 = Vector512.LoadUnsafe(ref b, 16);
        var b2 = Vector512.LoadUnsafe(ref b, 32);
        ref float y1 = ref Unsafe.Add(ref y, stride);
        ref float y2 = ref Unsafe.Add(ref y, 2 * stride);
        ref float y3 = ref Unsafe.Add(ref y, 3 * stride);
        Finish(a00, b0, relu).StoreUnsafe(ref y);
        Finish(a01, b1, relu).StoreUnsafe(ref y, 16);
        Finish(a02, b2, relu).StoreUnsafe(ref y, 32);
        Finish(a10, b0, relu).StoreUnsafe(ref y1);
        Finish(a11, b1, relu).StoreUnsafe(ref y1, 16);
        Finish(a12, b2, relu).StoreUnsafe(ref y1, 32);
        Finish(a20, b0, relu).StoreUnsafe(ref y2);
        Finish(a21, b1, relu).StoreUnsafe(ref y2, 16);
        Finish(a22, b2, relu).StoreUnsafe(ref y2, 32);
        Finish(a30, b0, relu).StoreUnsafe(ref y3);
        Finish(a31, b1, relu).StoreUnsafe(ref y3, 16);
        Finish(a32, b2, relu).StoreUnsafe(ref y3, 32);
    }

    private static void Wide1x3(ref float x, ref float w, ref float b, ref float y, int inputs, int stride, bool relu)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default;
        for (int k = 0; k < inputs; k++)
        {
            ref float wk = ref Unsafe.Add(ref w, k * stride);
            var v = Vector512.Create(Unsafe.Add(ref x, k));
            a0 = VectorFma.Fused(v, Vector512.LoadUnsafe(ref wk), a0);
            a1 = VectorFma.Fused(v, Vector512.LoadUnsafe(ref wk, 16), a1);
            a2 = VectorFma.Fused(v, Vector512.LoadUnsafe(ref wk, 32), a2);
        }

        Finish(a0, Vector512.LoadUnsafe(ref b), relu).StoreUnsafe(ref y);
        Finish(a1, Vector512.LoadUnsafe(ref b, 16), relu).StoreUnsafe(ref y, 16);
        Finish(a2, Vector512.LoadUnsafe(ref b, 32), relu).StoreUnsafe(ref y, 32);
    }

    private static void Wide4x1(ref float x, ref float w, ref float b, ref float y, int inputs, int stride, bool relu)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        ref float x1 = ref Unsafe.Add(ref x, stride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * stride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * stride);
        for (int k = 0; k < inputs; k++)
        {
            var wk = Vector512.LoadUnsafe(ref Unsafe.Add(ref w, k * stride));
            a0 = VectorFma.Fused(Vector512.Create(Unsafe.Add(ref x, k)), wk, a0);
            a1 = VectorFma.Fused(Vector512.Create(Unsafe.Add(ref x1, k)), wk, a1);
            a2 = VectorFma.Fused(Vector512.Create(Unsafe.Add(ref x2, k)), wk, a2);
            a3 = VectorFma.Fused(Vector512.Create(Unsafe.Add(ref x3, k)), wk, a3);
        }

        var bias = Vector512.LoadUnsafe(ref b);
        Finish(a0, bias, relu).StoreUnsafe(ref y);
        Finish(a1, bias, relu).StoreUnsafe(ref Unsafe.Add(ref y, stride));
        Finish(a2, bias, relu).StoreUnsafe(ref Unsafe.Add(ref y, 2 * stride));
        Finish(a3, bias, relu).StoreUnsafe(ref Unsafe.Add(ref y, 3 * stride));
    }

    private static void Wide1x1(ref float x, ref float w, ref float b, ref float y, int inputs, int stride, bool relu)
    {
        Vector512<float> a = default;
        for (int k = 0; k < inputs; k++)
        {
            a = VectorFma.Fused(Vector512.Create(Unsafe.Add(ref x, k)), Vector512.LoadUnsafe(ref Unsafe.Add(ref w, k * stride)), a);
        }

        Finish(a, Vector512.LoadUnsafe(ref b), relu).StoreUnsafe(ref y);
    }

    /// <summary>
    /// y[:d] = LayerNorm(x[:d]) · scale + bias, two-pass (mean, then the mean of squared deviations), as
    /// <c>torch.nn.LayerNorm</c>; <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    public static void LayerNorm(ReadOnlySpan<float> x, LayerNormWeights norm, Span<float> y)
    {
        int d = norm.Scale.Length;
        x = x[..d];
        y = y[..d];
        float mean = TensorPrimitives.Sum(x) / d;
        TensorPrimitives.Subtract(x, mean, y);
        float variance = TensorPrimitives.SumOfSquares(y) / d;
        float inverse = 1f / MathF.Sqrt(variance + norm.Epsilon);
        TensorPrimitives.Multiply(y, inverse, y);
        TensorPrimitives.FusedMultiplyAdd(y, norm.Scale, norm.Bias, y);
    }

    /// <summary>
    /// LayerNorm of <paramref name="rows"/> rows of stride <paramref name="stride"/> (a multiple of 8), as
    /// <see cref="LayerNorm"/> but vectorised by hand: columns past d are ignored on input and written as 0.
    /// </summary>
    public static void LayerNormRows(ReadOnlySpan<float> x, int rows, int stride, PaddedNorm norm, Span<float> y)
    {
        if (rows <= 0)
        {
            return;
        }

        if (x.Length < rows * stride || y.Length < rows * stride || norm.Scale.Length < stride || (stride & 7) != 0)
        {
            throw new ArgumentException("LayerNorm buffers are too short.");
        }

        int d = norm.D;
        int full = d & ~7;
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var tailMask = Vector256.LessThan(lanes, Vector256.Create(d - full)).AsSingle();
        float epsilon = norm.Epsilon;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float gr = ref MemoryMarshal.GetArrayDataReference(norm.Scale);
        ref float br = ref MemoryMarshal.GetArrayDataReference(norm.Bias);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref xr, r * stride);
            ref float output = ref Unsafe.Add(ref yr, r * stride);
            var sum = Vector256<float>.Zero;
            int c = 0;
            for (; c < full; c += 8)
            {
                sum += Vector256.LoadUnsafe(ref row, (nuint)c);
            }

            if (full < d)
            {
                sum += Vector256.LoadUnsafe(ref row, (nuint)full) & tailMask;
            }

            var mean = Vector256.Create(Vector256.Sum(sum) / d);
            var squares = Vector256<float>.Zero;
            for (c = 0; c < full; c += 8)
            {
                var diff = Vector256.LoadUnsafe(ref row, (nuint)c) - mean;
                squares = VectorFma.Fused(diff, diff, squares);
            }

            if (full < d)
            {
                var diff = (Vector256.LoadUnsafe(ref row, (nuint)full) - mean) & tailMask;
                squares = VectorFma.Fused(diff, diff, squares);
            }

            var inverse = Vector256.Create(1f / MathF.Sqrt((Vector256.Sum(squares) / d) + epsilon));
            for (c = 0; c < stride; c += 8)
            {
                var diff = Vector256.LoadUnsafe(ref row, (nuint)c) - mean;
                if (c + 8 > d)
                {
                    diff = c < d ? diff & tailMask : Vector256<float>.Zero;
                }

                VectorFma.Fused(diff * inverse, Vector256.LoadUnsafe(ref gr, (nuint)c), Vector256.LoadUnsafe(ref br, (nuint)c))
                    .StoreUnsafe(ref output, (nuint)c);
            }
        }
    }

    /// <summary>
    /// Writes rows <c>[0, rows)</c> of a row-major [rows, stride] matrix's first <paramref name="columns"/>
    /// columns as columns <c>[offset, offset + rows)</c> of a [columns, transposedStride] matrix.
    /// </summary>
    public static void Transpose(ReadOnlySpan<float> x, int rows, int columns, int stride, Span<float> transposed, int transposedStride, int offset)
    {
        if (rows <= 0)
        {
            return;
        }

        if (x.Length < ((rows - 1) * stride) + columns || transposed.Length < ((columns - 1) * transposedStride) + offset + rows)
        {
            throw new ArgumentException("Transpose buffers are too short.");
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float tr = ref MemoryMarshal.GetReference(transposed);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref xr, r * stride);
            ref float column = ref Unsafe.Add(ref tr, offset + r);
            for (int c = 0; c < columns; c++)
            {
                Unsafe.Add(ref column, c * transposedStride) = Unsafe.Add(ref row, c);
            }
        }
    }
}
