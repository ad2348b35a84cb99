using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ipg.Simulation;

/// <summary>
/// ê_u·ê_i for all items at once, bit-identical to <see cref="DeterministicMath.Dot"/> per item.
/// </summary>
/// <remarks>
/// Items are stored dimension-major, so each SIMD lane holds one item and accumulates
/// s ← s + u[d]·x[d] for d ascending with a separate multiply and add (no FMA): exactly the
/// scalar sequence of IEEE operations, only several items at a time. The oracle argmax of the log
/// collection therefore does not depend on the vector width of the machine.
/// </remarks>
internal static class PreferenceKernel
{
    public static void DotAll(ReadOnlySpan<double> user, ReadOnlySpan<double> itemsTransposed, int items, Span<double> destination)
    {
        var dim = user.Length;
        ref var t = ref MemoryMarshal.GetReference(itemsTransposed);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Four independent vectors (16 items) per pass hide the add latency.
            const int W = 4 * 4;
            for (; i <= items - W; i += W)
            {
                var a0 = Vector256<double>.Zero;
                var a1 = Vector256<double>.Zero;
                var a2 = Vector256<double>.Zero;
                var a3 = Vector256<double>.Zero;
                for (var d = 0; d < dim; d++)
                {
                    var u = Vector256.Create(user[d]);
                    var row = (nuint)((d * items) + i);
                    a0 = Vector256.Add(a0, Vector256.Multiply(u, Vector256.LoadUnsafe(ref t, row)));
                    a1 = Vector256.Add(a1, Vector256.Multiply(u, Vector256.LoadUnsafe(ref t, row + 4)));
                    a2 = Vector256.Add(a2, Vector256.Multiply(u, Vector256.LoadUnsafe(ref t, row + 8)));
                    a3 = Vector256.Add(a3, Vector256.Multiply(u, Vector256.LoadUnsafe(ref t, row + 12)));
                }

                a0.StoreUnsafe(ref dst, (nuint)i);
                a1.StoreUnsafe(ref dst, (nuint)i + 4);
                a2.StoreUnsafe(ref dst, (nuint)i + 8);
                a3.StoreUnsafe(ref dst, (nuint)i + 12);
            }

            for (; i <= items - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var acc = Vector256<double>.Zero;
                for (var d = 0; d < dim; d++)
                {
                    var x = Vector256.LoadUnsafe(ref t, (nuint)((d * items) + i));
                    acc = Vector256.Add(acc, Vector256.Multiply(Vector256.Create(user[d]), x));
                }

                acc.StoreUnsafe(ref dst, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= items - Vector128<double>.Count; i += Vector128<double>.Count)
            {
                var acc = Vector128<double>.Zero;
                for (var d = 0; d < dim; d++)
                {
                    var x = Vector128.LoadUnsafe(ref t, (nuint)((d * items) + i));
                    acc = Vector128.Add(acc, Vector128.Multiply(Vector128.Create(user[d]), x));
                }

                acc.StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < items; i++)
        {
            var s = 0.0;
            for (var d = 0; d < dim; d++)
            {
                s += user[d] * Unsafe.Add(ref t, (d * items) + i);
            }

            Unsafe.Add(ref dst, i) = s;
        }
    }
}
