using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace BatchStats.Fast.Internal;

/// <summary>
/// A tracker's writer rings: finds the calling thread's ring, registers a new thread's ring (reusing an exited
/// thread's ring once its samples have left the window), and publishes the window cutoff that decides reuse.
/// </summary>
/// <remarks>
/// Design (reasoning in docs/design.md, "Registration and ring reuse"):
/// - <see cref="_rings"/> is a copy-on-write array: registrars replace it under <see cref="_lock"/> with a release
///   store; readers and lookups load it with an acquire load and never lock.
/// - The lock is the only one on the record and read paths: taken once per thread and tracker, when the thread's
///   first record registers. Under it, only reference checks and (once per exited owner) a scan of what that owner
///   recorded; merges and ring allocation happen outside it.
/// - <see cref="_windowCutoff"/> only grows (compare-exchange max): readers raise it after each recompute, and a
///   registrar that finds no ring freed by it computes a fresh one.
/// - The per-thread caches (<see cref="t_lastRing"/>, <see cref="t_recentRings"/>) belong to their thread.
/// </remarks>
internal sealed class RingRegistry
{
    [ThreadStatic]
    private static WriterRing? t_lastRing;

    [ThreadStatic]
    private static WriterRing?[]? t_recentRings;

    private const int RecentRingCacheSize = 4;

    private readonly object _owner;
    private readonly int _windowSize;
    private readonly int _ringCapacity;
    private readonly ExponentialLayout _layout;
    private readonly ReaderPools _pools;
    private readonly Func<long> _oldestAllowed;
    private readonly Lock _lock = new();
    private WriterRing[] _rings = [];
    private long _windowCutoff = long.MinValue;
    private int _registrarCutoffs;

    /// <param name="owner">The tracker: each ring's <see cref="WriterRing.Owner"/>, the identity the per-thread cache checks.</param>
    /// <param name="windowSize">The window size.</param>
    /// <param name="layout">The histogram layout of new rings.</param>
    /// <param name="pools">Scratch pools for a registrar's cutoff computation.</param>
    /// <param name="oldestAllowed">The age limit's oldest timestamp now (<see cref="long.MinValue"/>: none).</param>
    public RingRegistry(object owner, int windowSize, ExponentialLayout layout, ReaderPools pools, Func<long> oldestAllowed)
    {
        _owner = owner;
        _windowSize = windowSize;
        // Slack of at least the window: a reader's copy of the window is lapped only if the writer records a whole window meanwhile.
        _ringCapacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2 * windowSize, windowSize + 64));
        _layout = layout;
        _pools = pools;
        _oldestAllowed = oldestAllowed;
    }

    /// <summary>The rings as published (each fully constructed).</summary>
    public WriterRing[] Rings => Volatile.Read(ref _rings); // acquire: pairs with the registrar's release store

    /// <summary>The ring the calling thread used last, of whichever tracker (null if none).</summary>
    public static WriterRing? LastRing
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_lastRing;
    }

    /// <summary>Window cutoffs a registering thread computed itself because no reader had published one that freed a ring (for tests).</summary>
    public int RegistrarCutoffs => Volatile.Read(ref _registrarCutoffs); // acquire: incremented by registering threads

    /// <summary>The calling thread's ring, registering it on the thread's first record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public WriterRing Current()
    {
        WriterRing? ring = t_lastRing;
        return ring is not null && ReferenceEquals(ring.Owner, _owner) ? ring : CurrentSlow();
    }

    /// <summary>The published window cutoff (<see cref="long.MinValue"/> until a reader raises it).</summary>
    public long WindowCutoff => Volatile.Read(ref _windowCutoff); // acquire: raised by readers' and registrars' CAS

    /// <summary>Test hook: runs after <see cref="RaiseCutoff"/> read the cutoff and before its compare-exchange (null in production).</summary>
    internal Action? BeforeCutoffExchange { get; set; }

    /// <summary>
    /// Raises the published window cutoff: timestamps below it can no longer be in the window (the W-th newest
    /// timestamp never falls as samples are added, nor does the age limit).
    /// </summary>
    public void RaiseCutoff(long cutoff)
    {
        long current = Volatile.Read(ref _windowCutoff); // acquire: the CAS below starts from a value another reader published
        while (cutoff > current)
        {
            BeforeCutoffExchange?.Invoke();
            long seen = Interlocked.CompareExchange(ref _windowCutoff, cutoff, current); // full fence: racing readers agree on one maximum
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>A few recently used rings of this thread, then the registry (a ring this thread owns), then registration.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WriterRing CurrentSlow()
    {
        WriterRing?[] recent = t_recentRings ??= new WriterRing?[RecentRingCacheSize];
        WriterRing? ring = null;
        foreach (WriterRing? r in recent)
        {
            if (r is not null && ReferenceEquals(r.Owner, _owner))
            {
                ring = r;
                break;
            }
        }

        if (ring is null)
        {
            Thread current = Thread.CurrentThread;
            foreach (WriterRing r in Rings)
            {
                if (ReferenceEquals(r.OwnerThread, current)) // this thread set it itself, under the lock
                {
                    ring = r;
                    break;
                }
            }

            ring ??= Register(current);
            Array.Copy(recent, 0, recent, 1, recent.Length - 1);
            recent[0] = ring;
        }

        t_lastRing = ring;
        return ring;
    }

    /// <summary>An exited thread's ring known to be out of the window, else a new one (see the type's design notes).</summary>
    private WriterRing Register(Thread current)
    {
        bool maybeFree;
        lock (_lock)
        {
            if (TryReuse(current, Volatile.Read(ref _windowCutoff), out maybeFree) is { } reused) // acquire: readers raise it outside the lock
            {
                return reused;
            }
        }

        if (maybeFree)
        {
            Interlocked.Increment(ref _registrarCutoffs); // full fence; a statistic for tests and benchmarks
            RaiseCutoff(SnapshotReader.WindowCutoff(new ReadContext(Rings, _windowSize, _oldestAllowed(), PeakSoFar: 0, _pools)));
            lock (_lock)
            {
                if (TryReuse(current, Volatile.Read(ref _windowCutoff), out _) is { } reused) // acquire: the cutoff just raised, or a higher one
                {
                    return reused;
                }
            }
        }

        var ring = new WriterRing(_owner, _ringCapacity, current, _layout); // a large array: allocated outside the lock
        lock (_lock)
        {
            WriterRing[] rings = _rings;
            var grown = new WriterRing[rings.Length + 1];
            rings.CopyTo(grown, 0);
            grown[^1] = ring;
            Volatile.Write(ref _rings, grown); // release: the new ring is fully constructed before readers can see it
        }

        return ring;
    }

    /// <summary>
    /// Hands the calling thread a ring whose thread has exited, whose handle (if any) was collected, and none of whose
    /// samples can be in the window any more (all older than <paramref name="cutoff"/>); null if there is none.
    /// </summary>
    /// <param name="current">The registering thread.</param>
    /// <param name="cutoff">Timestamps below this can no longer be in the window.</param>
    /// <param name="maybeFree">True when some exited owner's ring was not shown free only because of the cutoff.</param>
    private WriterRing? TryReuse(Thread current, long cutoff, out bool maybeFree)
    {
        maybeFree = false;
        foreach (WriterRing r in _rings)
        {
            if (r.OwnerThread.IsAlive || r.Writer is not null)
            {
                continue; // its thread may still record, or a reachable writer handle keeps it
            }

            if (r.NewestStampSinceAdoption() is { } newest && newest >= cutoff)
            {
                maybeFree = true;
                continue;
            }

            r.Adopt(current); // its samples are all out of the window; its counters carry on
            return r;
        }

        return null;
    }
}
