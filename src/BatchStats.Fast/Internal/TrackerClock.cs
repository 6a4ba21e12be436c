using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace BatchStats.Fast.Internal;

/// <summary>
/// A tracker's time: its clock (the <see cref="Stopwatch"/> timebase, or the configured <see cref="TimeProvider"/>),
/// durations in its ticks, and self-stamps for samples recorded without a timestamp.
/// </summary>
/// <remarks>
/// Self-stamps read the precise clock at most once per <see cref="CoarseClock"/> tick per thread and otherwise stamp
/// one tick after the thread's previous sample, so a thread's stamps strictly increase and stay in the Stopwatch
/// timebase (reasoning in docs/design.md, "Self-stamps and the coarse clock"). Immutable; the per-thread state lives in each writer ring.
/// </remarks>
internal sealed class TrackerClock
{
    private readonly TimeProvider? _custom; // null: the system clock (Stopwatch), read directly

    public TrackerClock(TimeProvider provider)
    {
        _custom = ReferenceEquals(provider, TimeProvider.System) ? null : provider;
        TicksPerSecond = _custom?.TimestampFrequency ?? Stopwatch.Frequency;
    }

    /// <summary>Ticks per second of this clock.</summary>
    public double TicksPerSecond { get; }

    /// <summary>The current timestamp.</summary>
    public long Now() => _custom?.GetTimestamp() ?? Stopwatch.GetTimestamp();

    /// <summary>A duration in this clock's ticks (capped far from overflow).</summary>
    public long ToTicks(TimeSpan span) => (long)Math.Min(span.TotalSeconds * TicksPerSecond, long.MaxValue / 4);

    /// <summary>A self-stamp for the ring's owner: the precise clock at most once per clock tick, otherwise one tick after the last stamp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long SelfStamp(WriterRing ring)
    {
        if (_custom is null && CoarseClock.Read() == ring.LastCoarseTick)
        {
            return ring.LastStamp + 1; // time has not moved by a clock tick since this thread's last precise read
        }

        return SelfStampSlow(ring);
    }

    /// <summary>A self-stamp that reads the precise clock (first in a new clock tick, or with a custom clock).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public long SelfStampSlow(WriterRing ring)
    {
        if (_custom is not null)
        {
            return Math.Max(ring.LastStamp + 1, _custom.GetTimestamp());
        }

        long tick = CoarseClock.Read();
        long now = Stopwatch.GetTimestamp();
        ring.SetCoarseTick(tick == CoarseClock.Stopped ? long.MaxValue : tick); // never match Stopped: no ticker, no shortcut
        CoarseClock.NoteDemand(now);
        return Math.Max(ring.LastStamp + 1, now);
    }
}
