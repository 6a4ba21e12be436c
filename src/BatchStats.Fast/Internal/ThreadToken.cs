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
/// A primitive <c>[ThreadStatic]</c> field, so the JIT reads it inline. 0 means "none taken yet"; tokens are taken only by
/// threads that create a writer handle, so the 32-bit supply (2^32 - 1 tokens) is not exhausted in practice; if it
/// ever were, <see cref="Current"/> throws rather than hand out a token twice.
/// </remarks>
internal static class ThreadToken
{
    [ThreadStatic]
    private static int t_token;

    private static int s_lastToken;

    /// <summary>The calling thread's token, or 0 if it never took one (no handle was created on it).</summary>
    public static int Peek
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_token; // own thread's field: no ordering involved
    }

    /// <summary>The calling thread's token, taken on first use.</summary>
    public static int Current => t_token != 0 ? t_token : Take();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Take()
    {
        int token = Interlocked.Increment(ref s_lastToken); // full fence: atomic, so no two threads get the same number
        if (token == 0)
        {
            throw new InvalidOperationException("The supply of writer-handle thread tokens is exhausted.");
        }

        return t_token = token;
    }
}
