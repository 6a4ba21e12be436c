using System.Diagnostics;
using System.Threading;

namespace BatchStats.Fast.Internal;

/// <summary>
/// A shared "has time moved?" signal for self-stamped records, so the record path need not read the precise clock
/// (several times the cost of the rest of a record) per sample.
/// </summary>
/// <remarks>
/// Design:
/// - One background thread, started on demand, stores <see cref="Stopwatch.GetTimestamp"/> into <c>s_tick</c>
///   about every millisecond. Writers only read <c>s_tick</c> (a shared read, never a shared write, per record).
/// - A writer that sees <c>s_tick</c> change (or <see cref="Stopped"/>) reads the precise clock once and notes its
///   demand (<see cref="NoteDemand"/>: at most one shared store per writer per tick, and only when the last note is
///   older than <see cref="DemandRefreshSeconds"/>).
/// - The ticker parks after <see cref="IdleStopSeconds"/> without demand: it stores <see cref="Stopped"/>, so every
///   self-stamped record takes the precise path until the next writer wakes it (one compare-exchange and an event
///   signal, no allocation). The thread itself is created once per process, by the first self-stamped record.
/// Invariant: <c>s_tick</c> is either <see cref="Stopped"/> or a Stopwatch timestamp not older than one ticker period
/// plus however long the ticker thread was kept from running.
/// </remarks>
internal static class CoarseClock
{
    /// <summary>The value of <see cref="Read"/> while no ticker runs; never equal to a real tick.</summary>
    public const long Stopped = long.MinValue;

    private const double IdleStopSeconds = 2.0;
    private const double DemandRefreshSeconds = 0.1;

    private static readonly long s_idleStopTicks = (long)(IdleStopSeconds * Stopwatch.Frequency);
    private static readonly long s_demandRefreshTicks = (long)(DemandRefreshSeconds * Stopwatch.Frequency);
    private static readonly ManualResetEventSlim s_wake = new(initialState: false);
    private static Thread? s_ticker;
    private static long s_tick = Stopped;
    private static long s_lastDemand;
    private static int s_running;
    private static long s_parks; // ticker thread only writes

    /// <summary>Test hook: the ticker thread, once a self-stamped record has started it.</summary>
    internal static Thread? Ticker => Volatile.Read(ref s_ticker); // acquire; the memory model publishes a new object's reference only after its construction

    /// <summary>Test hook: how many times the ticker has parked.</summary>
    internal static long Parks => Volatile.Read(ref s_parks); // acquire: pairs with the ticker's release

    /// <summary>The ticker's latest value (acquire load: a shared read only).</summary>
    public static long Read() => Volatile.Read(ref s_tick); // acquire: pairs with the ticker's release, never a value older than one it saw

    /// <summary>Called on the precise-clock path: keeps the ticker alive, or starts it.</summary>
    public static void NoteDemand(long preciseNow)
    {
        if (preciseNow - Volatile.Read(ref s_lastDemand) > s_demandRefreshTicks) // acquire; skip the store when recent
        {
            Volatile.Write(ref s_lastDemand, preciseNow); // release: the ticker's acquire load sees a current demand time
        }

        // Full fence (Interlocked): exactly one caller starts or wakes the ticker after it parked.
        if (Volatile.Read(ref s_running) == 0 && Interlocked.CompareExchange(ref s_running, 1, 0) == 0) // acquire, then full fence
        {
            if (s_ticker is null)
            {
                s_ticker = new Thread(Run) { IsBackground = true, Name = "BatchStats.Fast clock", Priority = ThreadPriority.AboveNormal };
                s_ticker.UnsafeStart();
            }
            else
            {
                s_wake.Set();
            }
        }
    }

    private static void Run()
    {
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now - Volatile.Read(ref s_lastDemand) > s_idleStopTicks) // acquire: pairs with the writers' release of their demand time
            {
                Volatile.Write(ref s_tick, Stopped); // release: writers fall back to the precise clock from now on
                Volatile.Write(ref s_running, 0); // release, after Stopped: a writer that sees 0 also sees Stopped and wakes us
                Volatile.Write(ref s_parks, s_parks + 1); // release: a test that reads it also sees Stopped (own field: plain read)
                s_wake.Wait(); // parked: no CPU until a writer needs the clock again
                s_wake.Reset();
                continue;
            }

            Volatile.Write(ref s_tick, now); // release: writers' acquire loads see a whole, current tick
            Thread.Sleep(1);
        }
    }
}
