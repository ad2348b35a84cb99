using System.Buffers;

namespace Ipg;

/// <summary>
/// Pooled per-call buffers for scoring one user: four float lanes of n, an id lane of n, an order lane
/// of k and a bitmap over item ids. Rented from <see cref="ArrayPool{T}.Shared"/> and returned on
/// dispose, so steady-state calls allocate nothing.
/// </summary>
internal ref struct ScoringScratch
{
    private float[] _floats;
    private int[] _ints;
    private ulong[] _bits;
    private readonly int _n;
    private readonly int _k;
    private readonly int _words;

    public ScoringScratch(int n, int k, int itemCount)
    {
        _n = n;
        _k = k;
        _words = (itemCount >> 6) + 1;
        _floats = ArrayPool<float>.Shared.Rent(Math.Max(1, 4 * n));
        _ints = ArrayPool<int>.Shared.Rent(Math.Max(1, n + k));
        _bits = ArrayPool<ulong>.Shared.Rent(_words);
        _bits.AsSpan(0, _words).Clear();
    }

    public readonly Span<float> Logits => _floats.AsSpan(0, _n);

    public readonly Span<float> Probabilities => _floats.AsSpan(_n, _n);

    public readonly Span<float> Guidance => _floats.AsSpan(2 * _n, _n);

    public readonly Span<float> Keys => _floats.AsSpan(3 * _n, _n);

    public readonly Span<int> Ids => _ints.AsSpan(0, _n);

    public readonly Span<int> Order => _ints.AsSpan(_n, _k);

    /// <summary>A bitmap over item ids, zeroed when the scratch is created.</summary>
    public readonly Span<ulong> Bits => _bits.AsSpan(0, _words);

    public void Dispose()
    {
        if (_floats is not null)
        {
            ArrayPool<float>.Shared.Return(_floats);
            ArrayPool<int>.Shared.Return(_ints);
            ArrayPool<ulong>.Shared.Return(_bits);
            _floats = null!;
            _ints = null!;
            _bits = null!;
        }
    }
}
