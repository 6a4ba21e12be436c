using System;

namespace BatchStats.Fast;

/// <summary>
/// Settings of a batch statistics tracker. Settable, so the options pattern and configuration binding can fill them; a tracker copies them when it is built, so later changes do not affect it.
/// </summary>
public sealed class BatchStatsOptions
{
    /// <summary>
    /// Number of most recent samples (across all writer threads, in timestamp order) that the
    /// windowed figures cover. At least 1. Default 1000.
    /// </summary>
    public int WindowSize { get; set; } = 1000;

    /// <summary>
    /// How old a cached snapshot may be before <c>GetStats</c> recomputes it. A snapshot is never
    /// recomputed while nothing was recorded since it was taken; <see cref="TimeSpan.Zero"/> makes every
    /// read reflect every completed update. Default one second.
    /// </summary>
    public TimeSpan CacheValidTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When set, samples whose timestamp is older than this at read time are left out of the window
    /// (a time-based window on top of <see cref="WindowSize"/>). Default <see langword="null"/>: no age limit.
    /// </summary>
    public TimeSpan? MaxSampleAge { get; set; }

    /// <summary>
    /// Scale of the all-time exponential histograms (<c>GetHistograms</c>, the Prometheus histograms): each power of
    /// two is split into 2^scale buckets, so a bucket's bounds differ by a factor 2^(2^-scale). 0 to 6; default 3
    /// (8 buckets per power of two, quantile estimates within 4.43 %). Values above 2^-24 s (about 60 ns) up to 2^16 s
    /// (about 18 hours) get buckets of their own; smaller ones (zero included) count in the zero bucket, larger ones
    /// in the highest bucket. Each writer thread's ring holds 3,840 × 2^scale bytes of counts (30 KiB at 3, 240 KiB
    /// at 6). Where 512-bit vectors run at full speed, scales up to 3 bin two records per vector; above 3 the binning
    /// takes about 1 ns more per record.
    /// </summary>
    public int HistogramScale { get; set; } = 3;

    /// <summary>What happens to bad input. Default <see cref="InvalidSamplePolicy.Throw"/>.</summary>
    public InvalidSamplePolicy InvalidSamplePolicy { get; set; } = InvalidSamplePolicy.Throw;

    /// <summary>
    /// The clock for self-stamped samples, sample age and cache age. Default <see cref="TimeProvider.System"/>
    /// (<see cref="System.Diagnostics.Stopwatch"/> ticks). Caller-supplied timestamps must come from the same clock.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
