using System;

namespace BatchStats.Fast.Tests;

/// <summary>
/// A manual clock whose raw timestamp a test sets directly (microsecond ticks), for histories placed tick by tick.
/// Tests of wall time and timers (the monitor, the dashboard, the hosting package) use the package's
/// <c>FakeTimeProvider</c> instead.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    public long Now { get; set; } = 1_000_000;

    public override long TimestampFrequency => 1_000_000; // microsecond ticks

    public override long GetTimestamp() => Now;

    public void Advance(TimeSpan by) => Now += (long)(by.TotalSeconds * TimestampFrequency);
}
