using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BatchStats.Fast.Internal.Kernels;

/// <summary>Minimum and maximum of an int series (exact, so every path gives the same answer).</summary>
internal static class IntegerKernels
{
    /// <summary>The smallest and largest value; (int.MaxValue, int.MinValue) for an empty span.</summary>
    public static (int Min, int Max) MinMax(ReadOnlySpan<int> values)
    {
        int i = 0, min = int.MaxValue, max = int.MinValue;
        ref int start = ref MemoryMarshal.GetReference(values);
        if (Vector256.IsHardwareAccelerated && values.Length >= Vector256<int>.Count)
        {
            Vector256<int> vmin = Vector256.Create(int.MaxValue), vmax = Vector256.Create(int.MinValue);
            for (; i <= values.Length - Vector256<int>.Count; i += Vector256<int>.Count)
            {
                Vector256<int> v = Vector256.LoadUnsafe(ref start, (nuint)i); // in bounds: the loop condition
                vmin = Vector256.Min(vmin, v);
                vmax = Vector256.Max(vmax, v);
            }

            for (int lane = 0; lane < Vector256<int>.Count; lane++)
            {
                min = Math.Min(min, vmin.GetElement(lane));
                max = Math.Max(max, vmax.GetElement(lane));
            }
        }
        else if (Vector128.IsHardwareAccelerated && values.Length >= Vector128<int>.Count)
        {
            Vector128<int> vmin = Vector128.Create(int.MaxValue), vmax = Vector128.Create(int.MinValue);
            for (; i <= values.Length - Vector128<int>.Count; i += Vector128<int>.Count)
            {
                Vector128<int> v = Vector128.LoadUnsafe(ref start, (nuint)i); // in bounds: the loop condition
                vmin = Vector128.Min(vmin, v);
                vmax = Vector128.Max(vmax, v);
            }

            for (int lane = 0; lane < Vector128<int>.Count; lane++)
            {
                min = Math.Min(min, vmin.GetElement(lane));
                max = Math.Max(max, vmax.GetElement(lane));
            }
        }

        for (; i < values.Length; i++)
        {
            min = Math.Min(min, values[i]);
            max = Math.Max(max, values[i]);
        }

        return (min, max);
    }
}
