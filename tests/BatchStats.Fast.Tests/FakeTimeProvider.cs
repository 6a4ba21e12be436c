using System;

namespace BatchStats.Fast.Tests;

/// <summary>A manual clock: timestamps advance only when a test says so.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    public long Now { get; set; } = 1_000_000;

    public override long TimestampFrequency => 1_000_000; // microsecond ticks

    public override long GetTimestamp() => Now;

    public void Advance(TimeSpan by) => Now += (long)(by.TotalSeconds * TimestampFrequency);
}
