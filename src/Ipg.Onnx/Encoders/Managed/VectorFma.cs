using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
#if !NET9_0_OR_GREATER
using System.Runtime.Intrinsics.X86;
#endif

namespace Ipg.Encoders.Managed;

/// <summary>
/// a·b + c, fused where the hardware has it: <c>Vector256/512.FusedMultiplyAdd</c> on .NET 9 and later; on
/// .NET 8 (which lacks those) the x86 FMA / AVX-512F instruction, or an unfused multiply-add elsewhere (the
/// managed kernel's load-time check against ONNX Runtime tolerates either rounding).
/// </summary>
internal static class VectorFma
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fused(Vector256<float> a, Vector256<float> b, Vector256<float> c)
    {
#if NET9_0_OR_GREATER
        return Vector256.FusedMultiplyAdd(a, b, c);
#else
        return Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : (a * b) + c;
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fused(Vector512<float> a, Vector512<float> b, Vector512<float> c)
    {
#if NET9_0_OR_GREATER
        return Vector512.FusedMultiplyAdd(a, b, c);
#else
        return Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : (a * b) + c;
#endif
    }
}
