using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ipg.Encoders.Managed;

/// <summary>
/// The SASRec forward pass of <c>tools/sasrec/model.py</c> in managed code, for one history at a time, with
/// weights read from the exported ONNX graph (<see cref="SasRecGraphReader"/>).
/// </summary>
/// <remarks>
/// <para><b>Padding.</b> In every layout all padding slots of a left-padded row carry the same state at every
/// layer (v1: zero, re-zeroed after each block; v2/v3: the same function of identical inputs, since a padding
/// slot attends only to padding slots), and that state does not depend on the history. So the padding keys
/// and values of each block are constants, computed once at load, and the P padding slots enter a real slot's
/// attention as one key whose softmax weight is multiplied by P, which equals P identical keys. Only the
/// n real rows are computed.</para>
/// <para><b>Last block.</b> Keys and values for every real row; query, attention, feed-forward and layer norms
/// for the last row only (the user embedding is the last slot's state).</para>
/// <para><b>Threading.</b> The weights are read-only; each thread has its own scratch (<see cref="Workspace"/>),
/// so concurrent calls are safe and a call allocates nothing once its thread's scratch exists.</para>
/// </remarks>
internal sealed class ManagedSasRecKernel : IUserForward
{
    private readonly SasRecLayout _layout;
    private readonly int _d;
    private readonly int _stride;
    private readonly int _length;
    private readonly int _heads;
    private readonly int _headSize;
    private readonly int _keyStride;
    private readonly float[] _items;
    private readonly float[] _positions;
    private readonly float _embeddingScale;
    private readonly float _attentionScale;
    private readonly Block[] _blocks;
    private readonly LayerNormWeights _lastNorm;
    private readonly float[] _emptyOutput;

    [ThreadStatic]
    private static Workspace? t_workspace;

    public ManagedSasRecKernel(SasRecWeights weights)
    {
        _layout = weights.Layout;
        _d = weights.Hidden;
        _stride = DenseKernels.StrideFor(_d);
        _length = weights.MaxLength;
        _heads = weights.Heads;
        _headSize = _d / _heads;
        _keyStride = ((_length + 7) & ~7) + 8;
        _items = weights.ItemEmbedding;
        _positions = weights.PositionEmbedding;
        _embeddingScale = weights.EmbeddingScale;
        _attentionScale = weights.AttentionScale;
        _lastNorm = weights.LastNorm;
        _blocks = new Block[weights.Blocks.Length];
        for (int b = 0; b < _blocks.Length; b++)
        {
            _blocks[b] = new Block(weights.Blocks[b], _stride, _d);
        }

        _emptyOutput = new float[_d];
        PrecomputePadding();
    }

    public int Dimension => _d;

    public int MaxLength => _length;

    /// <inheritdoc />
    public void EncodeChunk(IReadOnlyList<ReadOnlyMemory<int>> histories, int start, int rows, Span<float> destination, CancellationToken cancellationToken)
    {
        for (int r = 0; r < rows; r++)
        {
            Encode(histories[start + r].Span, destination.Slice(r * _d, _d));
        }
    }

    /// <summary>Nothing to release: the weights are managed arrays.</summary>
    public void Dispose()
    {
    }

    /// <summary>Encodes one validated history (ids 1..N, oldest first) into <c>destination[..d]</c>.</summary>
    public void Encode(ReadOnlySpan<int> history, Span<float> destination)
    {
        if (history.Length > _length)
        {
            history = history[^_length..];
        }

        int n = history.Length;
        if (n == 0)
        {
            _emptyOutput.CopyTo(destination);
            return;
        }

        var ws = WorkspaceFor();
        int pad = _length - n;
        int stride = _stride;
        int d = _d;
        bool v1 = _layout == SasRecLayout.PmixerV1;
        for (int r = 0; r < n; r++)
        {
            int slot = pad + r;
            int position = v1 ? slot : slot + 1;
            TensorPrimitives.MultiplyAdd(
                _items.AsSpan(history[r] * d, d), _embeddingScale, _positions.AsSpan(position * d, d), ws.X.AsSpan(r * stride, d));
        }

        for (int b = 0; b < _blocks.Length; b++)
        {
            bool last = b == _blocks.Length - 1;
            RunBlock(_blocks[b], ws, n, pad, last ? n - 1 : 0);
        }

        DenseKernels.LayerNorm(ws.X.AsSpan((n - 1) * stride, stride), _lastNorm, destination);
    }

    private Workspace WorkspaceFor()
    {
        int matrix = _length * _stride;
        int transposed = _d * _keyStride;
        int scores = _heads * _keyStride;
        var ws = t_workspace;
        if (ws is null || ws.MatrixSize < matrix || ws.TransposedSize < transposed || ws.ScoreSize < scores)
        {
            ws = new Workspace(Math.Max(matrix, ws?.MatrixSize ?? 0), Math.Max(transposed, ws?.TransposedSize ?? 0), Math.Max(scores, ws?.ScoreSize ?? 0));
            t_workspace = ws;
        }

        return ws;
    }

    /// <summary>
    /// The padding state entering each block, and from it the padding key and value of each block and the
    /// output of an empty history. v1: the state is 0 (timeline mask), so key = key bias, value = value bias,
    /// and the empty output is LN_last(0). v2/v3: the padding row starts at item_emb[0]·scale + pos_emb[0] and
    /// goes through each block attending only to itself.
    /// </summary>
    private void PrecomputePadding()
    {
        var ws = new Workspace(Math.Max(_length, 1) * _stride, _d * _keyStride, _heads * _keyStride);
        if (_layout == SasRecLayout.PmixerV1)
        {
            foreach (var block in _blocks)
            {
                block.Source.Key.Bias.CopyTo(block.PadKey, 0);
                block.Source.Value.Bias.CopyTo(block.PadValue, 0);
            }

            DenseKernels.LayerNorm(new float[_d], _lastNorm, _emptyOutput);
            return;
        }

        TensorPrimitives.MultiplyAdd(_items.AsSpan(0, _d), _embeddingScale, _positions.AsSpan(0, _d), ws.X.AsSpan(0, _d));
        foreach (var block in _blocks)
        {
            // One row, no other padding: the row attends only to itself. K and V rows 0 are its key and value.
            RunBlock(block, ws, 1, 0, 0);
            ws.K.AsSpan(0, _d).CopyTo(block.PadKey);
            ws.V.AsSpan(0, _d).CopyTo(block.PadValue);
        }

        DenseKernels.LayerNorm(ws.X.AsSpan(0, _d), _lastNorm, _emptyOutput);
    }

    /// <summary>
    /// One block over the n real rows (after <paramref name="pad"/> padding slots); queries, attention and the
    /// feed-forward only for rows <c>[first, n)</c>, whose new states replace those rows of X.
    /// </summary>
    private void RunBlock(Block block, Workspace ws, int n, int pad, int first)
    {
        int stride = _stride;
        int rows = n - first;
        int at = first * stride;
        var w = block.Source;
        var x = ws.X.AsSpan(0, n * stride);
        var normed = ws.N.AsSpan(0, n * stride);
        var q = ws.Q.AsSpan(0, n * stride);
        var k = ws.K.AsSpan(0, n * stride);
        var v = ws.V.AsSpan(0, n * stride);
        var a = ws.A.AsSpan(0, n * stride);
        var h = ws.H.AsSpan(0, n * stride);
        var f = ws.F.AsSpan(0, n * stride);

        switch (_layout)
        {
            case SasRecLayout.PmixerV1 or SasRecLayout.PmixerV2:
                // q = LN_a(x); x = LN_f(q + MHA(q, x, x)); x = x + FFN(x).
                DenseKernels.LayerNormRows(x[at..], rows, stride, block.AttentionNorm, normed[at..]);
                DenseKernels.MatMul(normed[at..], rows, block.Query, q[at..]);
                DenseKernels.MatMul(x, n, block.Key, k);
                DenseKernels.MatMul(x, n, block.Value, v);
                Attention(block, ws, n, pad, first);
                DenseKernels.MatMul(ws.C.AsSpan(at, rows * stride), rows, block.Output, a[at..]);
                TensorPrimitives.Add(normed.Slice(at, rows * stride), a.Slice(at, rows * stride), a.Slice(at, rows * stride));
                DenseKernels.LayerNormRows(a[at..], rows, stride, block.ForwardNorm, h[at..]);
                DenseKernels.MatMul(h[at..], rows, block.Conv1, f[at..], relu: true);
                DenseKernels.MatMul(f[at..], rows, block.Conv2, a[at..]);
                TensorPrimitives.Add(h.Slice(at, rows * stride), a.Slice(at, rows * stride), x.Slice(at, rows * stride));
                break;
            case SasRecLayout.PmixerV3PreNorm:
                // xn = LN_a(x); y = x + MHA(xn, xn, xn); x = y + FFN(LN_f(y)).
                DenseKernels.LayerNormRows(x, n, stride, block.AttentionNorm, normed);
                DenseKernels.MatMul(normed[at..], rows, block.Query, q[at..]);
                DenseKernels.MatMul(normed, n, block.Key, k);
                DenseKernels.MatMul(normed, n, block.Value, v);
                Attention(block, ws, n, pad, first);
                DenseKernels.MatMul(ws.C.AsSpan(at, rows * stride), rows, block.Output, a[at..]);
                TensorPrimitives.Add(x.Slice(at, rows * stride), a.Slice(at, rows * stride), a.Slice(at, rows * stride));
                DenseKernels.LayerNormRows(a[at..], rows, stride, block.ForwardNorm, h[at..]);
                DenseKernels.MatMul(h[at..], rows, block.Conv1, f[at..], relu: true);
                DenseKernels.MatMul(f[at..], rows, block.Conv2, h[at..]);
                TensorPrimitives.Add(a.Slice(at, rows * stride), h.Slice(at, rows * stride), x.Slice(at, rows * stride));
                break;
            default:
                // y = LN_a(x + MHA(x, x, x)); x = LN_f(y + FFN(y)).
                DenseKernels.MatMul(x[at..], rows, block.Query, q[at..]);
                DenseKernels.MatMul(x, n, block.Key, k);
                DenseKernels.MatMul(x, n, block.Value, v);
                Attention(block, ws, n, pad, first);
                DenseKernels.MatMul(ws.C.AsSpan(at, rows * stride), rows, block.Output, a[at..]);
                TensorPrimitives.Add(x.Slice(at, rows * stride), a.Slice(at, rows * stride), a.Slice(at, rows * stride));
                DenseKernels.LayerNormRows(a[at..], rows, stride, block.AttentionNorm, normed[at..]);
                DenseKernels.MatMul(normed[at..], rows, block.Conv1, f[at..], relu: true);
                DenseKernels.MatMul(f[at..], rows, block.Conv2, h[at..]);
                TensorPrimitives.Add(normed.Slice(at, rows * stride), h.Slice(at, rows * stride), h.Slice(at, rows * stride));
                DenseKernels.LayerNormRows(h[at..], rows, stride, block.ForwardNorm, x[at..]);
                break;
        }
    }

    /// <summary>
    /// Causal multi-head attention of query rows <c>[first, n)</c> over the padding key (column 0 of the
    /// transposed keys/values, weight × <paramref name="pad"/>) and real rows <c>0..r</c> (columns 1..r+1);
    /// the concatenated heads go to <c>ws.C</c>.
    /// </summary>
    private void Attention(Block block, Workspace ws, int n, int pad, int first)
    {
        int stride = _stride;
        int keyStride = _keyStride;
        int headSize = _headSize;
        int d = _d;
        var kt = ws.KT;
        var vt = ws.VT;
        DenseKernels.Transpose(ws.K, n, d, stride, kt, keyStride, 1);
        DenseKernels.Transpose(ws.V, n, d, stride, vt, keyStride, 1);
        // The score rows are read in 8-lane chunks, so up to 7 columns past the last key (n + 1) are read too.
        // Their scores are masked to -inf (weight exactly 0), but 0 x a stale non-finite value (left in this
        // per-thread workspace by any earlier encode, of any model) is NaN: clear those value columns.
        int tail = Math.Min(keyStride, n + 9) - (n + 1);
        for (int c = 0; c < d; c++)
        {
            kt[c * keyStride] = block.PadKey[c];
            vt[c * keyStride] = block.PadValue[c];
            vt.AsSpan((c * keyStride) + n + 1, tail).Clear();
        }

        int start = pad > 0 ? 0 : 1;
        float padCount = pad;
        float scale = _attentionScale;
        int heads = _heads;
        ref float ktr = ref MemoryMarshal.GetArrayDataReference(kt);
        ref float vtr = ref MemoryMarshal.GetArrayDataReference(vt);
        ref float sr = ref MemoryMarshal.GetArrayDataReference(ws.Scores);
        var negativeInfinity = Vector256.Create(float.NegativeInfinity);
        for (int r = first; r < n; r++)
        {
            // Keys start..r+1 (m of them); each head's scores take `width` slots (m rounded up to 8), the lanes
            // past m hold -inf so that they weigh exactly 0 after the exponential.
            int m = r + 2 - start;
            int width = (m + 7) & ~7;
            ref float q = ref ws.Q[r * stride];
            for (int head = 0; head < heads; head++)
            {
                int f0 = head * headSize;
                ref float row = ref Unsafe.Add(ref sr, head * width);
                var max = negativeInfinity;
                for (int j = 0; j < width; j += 8)
                {
                    var acc = Vector256<float>.Zero;
                    for (int c = 0; c < headSize; c++)
                    {
                        var key = Vector256.LoadUnsafe(ref ktr, (nuint)(((f0 + c) * keyStride) + start + j));
                        acc = VectorFma.Fused(Vector256.Create(Unsafe.Add(ref q, f0 + c) * scale), key, acc);
                    }

                    if (j + 8 > m)
                    {
                        // Lanes m - j .. 7 are past the last key.
                        var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                        acc = Vector256.ConditionalSelect(Vector256.LessThan(lane, Vector256.Create(m - j)).AsSingle(), acc, negativeInfinity);
                    }

                    max = Vector256.Max(max, acc);
                    acc.StoreUnsafe(ref row, (nuint)j);
                }

                float top = HorizontalMax(max);
                var shift = Vector256.Create(top);
                for (int j = 0; j < width; j += 8)
                {
                    (Vector256.LoadUnsafe(ref row, (nuint)j) - shift).StoreUnsafe(ref row, (nuint)j);
                }
            }

            var weights = ws.Scores.AsSpan(0, heads * width);
            TensorPrimitives.Exp(weights, weights);
            ref float crow = ref ws.C[r * stride];
            for (int head = 0; head < heads; head++)
            {
                int f0 = head * headSize;
                ref float row = ref Unsafe.Add(ref sr, head * width);
                if (start == 0)
                {
                    row *= padCount;
                }

                var sum = Vector256<float>.Zero;
                for (int j = 0; j < width; j += 8)
                {
                    sum += Vector256.LoadUnsafe(ref row, (nuint)j);
                }

                float inverse = 1f / Vector256.Sum(sum);
                for (int c = 0; c < headSize; c++)
                {
                    ref float values = ref Unsafe.Add(ref vtr, ((f0 + c) * keyStride) + start);
                    var acc = Vector256<float>.Zero;
                    for (int j = 0; j < width; j += 8)
                    {
                        acc = VectorFma.Fused(Vector256.LoadUnsafe(ref row, (nuint)j), Vector256.LoadUnsafe(ref values, (nuint)j), acc);
                    }

                    Unsafe.Add(ref crow, f0 + c) = Vector256.Sum(acc) * inverse;
                }
            }
        }
    }

    private static float HorizontalMax(Vector256<float> v)
    {
        var half = Vector128.Max(v.GetLower(), v.GetUpper());
        float max = half[0];
        for (int k = 1; k < 4; k++)
        {
            max = MathF.Max(max, half[k]);
        }

        return max;
    }

    /// <summary>One block's weights in kernel layout, and its padding key and value.</summary>
    private sealed class Block(SasRecBlockWeights source, int stride, int d)
    {
        public SasRecBlockWeights Source { get; } = source;

        public PaddedNorm AttentionNorm { get; } = new(source.AttentionNorm, stride);

        public PaddedNorm ForwardNorm { get; } = new(source.ForwardNorm, stride);

        public PaddedLinear Query { get; } = new(source.Query, stride);

        public PaddedLinear Key { get; } = new(source.Key, stride);

        public PaddedLinear Value { get; } = new(source.Value, stride);

        public PaddedLinear Output { get; } = new(source.Output, stride);

        public PaddedLinear Conv1 { get; } = new(source.Conv1, stride);

        public PaddedLinear Conv2 { get; } = new(source.Conv2, stride);

        public float[] PadKey { get; } = new float[d];

        public float[] PadValue { get; } = new float[d];
    }

    /// <summary>Per-thread scratch: [rows, stride] matrices, transposed keys/values and one score row.</summary>
    private sealed class Workspace
    {
        public Workspace(int matrixSize, int transposedSize, int scoreSize)
        {
            MatrixSize = matrixSize;
            TransposedSize = transposedSize;
            ScoreSize = scoreSize;
            X = new float[matrixSize];
            N = new float[matrixSize];
            Q = new float[matrixSize];
            K = new float[matrixSize];
            V = new float[matrixSize];
            C = new float[matrixSize];
            A = new float[matrixSize];
            H = new float[matrixSize];
            F = new float[matrixSize];
            KT = new float[transposedSize];
            VT = new float[transposedSize];
            Scores = new float[scoreSize];
        }

        public int MatrixSize { get; }

        public int TransposedSize { get; }

        public int ScoreSize { get; }

        public float[] X { get; }

        public float[] N { get; }

        public float[] Q { get; }

        public float[] K { get; }

        public float[] V { get; }

        public float[] C { get; }

        public float[] A { get; }

        public float[] H { get; }

        public float[] F { get; }

        public float[] KT { get; }

        public float[] VT { get; }

        public float[] Scores { get; }
    }
}
