using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace BatchStats.Fast.Internal;

/// <summary>
/// A per-thread number that is never given to two threads (unlike <see cref="Environment.CurrentManagedThreadId"/>,
/// which the runtime recycles, or a stack address, which a new thread inherits from a dead one): what
/// <see cref="BatchStatsWriter"/> compares to know it runs on its creating thread.
/// </summary>
/// <remarks>
/// A primitive <c>[ThreadStatic]</c> field, so the JIT reads it inline. 0 means "none taken yet". Tokens are 64-bit, so
/// the supply cannot run out (a billion new threads a second would take 292 years): a 32-bit counter would wrap and,
/// after its last token, hand out 1 again to a new thread while the first may still live.
/// </remarks>
internal static class ThreadToken
{
    [ThreadStatic]
    private static long t_token;

    private static long s_lastToken;

    /// <summary>The calling thread's token, or 0 if it never took one (no handle was created on it).</summary>
    public static long Peek
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_token; // own thread's field: no ordering involved
    }

    /// <summary>The calling thread's token, taken on first use.</summary>
    public static long Current => t_token != 0 ? t_token : Take();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Take()
    {
        return t_token = Interlocked.Increment(ref s_lastToken); // full fence: atomic, so no two threads get the same number
    }
}
