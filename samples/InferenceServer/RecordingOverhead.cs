using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace BatchStats.Fast.Demo;

/// <summary>
/// What the statistics cost inside the loop, measured in-process: one worker's timings of its record calls (a
/// sample of batches) and of its inference calls (every batch). Written by its worker only; read after the worker
/// has ended (<see cref="System.Threading.Thread.Join()"/> orders the reads after the writes).
/// </summary>
/// <remarks>
/// How a sampled batch is timed: three clock reads, <c>t0</c>, <c>t1</c>, then the batch's record calls
/// (<c>Update</c>, and <c>RecordError</c> when it rejected requests), then <c>t2</c>. <c>t2 - t1</c> is the record
/// calls plus one clock read's own cost; <c>t1 - t0</c> is one clock read's cost measured right beside it, so
/// <c>(t2 - t1) - (t1 - t0)</c> is the record calls alone. A single sample is a few ns ± the clock's jitter (it can be
/// negative); the mean over thousands of samples is the figure. Samples during which the thread was interrupted
/// (either interval above 10 µs: a preemption on a busy machine is milliseconds, and one in a thousand samples would
/// otherwise dominate the mean) are left out and counted; the line above the summary line says how many.
/// </remarks>
public sealed class RecordingOverhead
{
    /// <summary>
    /// One batch in this many times its record calls. Odd, so the sampled calls meet every position in the library's
    /// 64-record binning chunk alike: the record that bins a chunk is in the sample as often as in the loop (with
    /// every 16th batch it never was, and the line left the binning out).
    /// </summary>
    public const int SampleEvery = 17;

    private static readonly long Interrupted = Stopwatch.Frequency / 100_000; // 10 µs: a thousand times a record call
    private long _recordTicks;
    private long _recordSamples;
    private long _interrupted;
    private long _runTicks;
    private long _runs;

    /// <summary>
    /// Adds one sampled batch: <paramref name="clock"/> = <c>t1 - t0</c>, <paramref name="calls"/> = <c>t2 - t1</c>
    /// (Stopwatch ticks). A sample where either interval exceeds 10 µs was interrupted (the thread was preempted or
    /// the process paused): it measures the scheduler, not the record calls, and is counted apart.
    /// </summary>
    public void AddRecordCalls(long clock, long calls)
    {
        if (clock > Interrupted || calls > Interrupted)
        {
            _interrupted++;
            return;
        }

        _recordTicks += calls - clock;
        _recordSamples++;
    }

    /// <summary>Whether the batch numbered <paramref name="batch"/> (0, 1, … per worker) times its record calls.</summary>
    public static bool IsSampled(long batch) => batch % SampleEvery == 0;

    /// <summary>Adds one <c>Run</c> call's duration (Stopwatch ticks).</summary>
    public void AddRun(long ticks)
    {
        _runTicks += ticks;
        _runs++;
    }

    /// <summary>
    /// The summary line over several workers, exactly <c>stats overhead: &lt;ns&gt; ns per batch (&lt;pct&gt;% of mean inference time)</c>:
    /// the mean record-call time over the sampled batches, as a share of the mean <c>Run</c> time over all batches.
    /// </summary>
    /// <remarks>Without a sampled batch, or without a <c>Run</c> (every request rejected), it says so instead of a share of 0.</remarks>
    public static string Line(IEnumerable<RecordingOverhead> workers)
    {
        Totals t = Sum(workers);
        (double ns, double share, long samples) = Combine(t);
        if (samples == 0)
        {
            return "stats overhead: no batch was sampled";
        }

        return t.Runs == 0
            ? string.Create(CultureInfo.InvariantCulture, $"stats overhead: {ns:F1} ns per batch (no inference ran to compare with)")
            : string.Create(CultureInfo.InvariantCulture, $"stats overhead: {ns:F1} ns per batch ({share * 100:F3}% of mean inference time)");
    }

    /// <summary>How the line was measured: batches sampled and interrupted samples left out (printed above it).</summary>
    public static string Detail(IEnumerable<RecordingOverhead> workers)
    {
        Totals t = Sum(workers);
        return string.Create(CultureInfo.InvariantCulture, $"  overhead sample: {t.Samples:N0} batches' record calls timed (every {SampleEvery}th), {t.Interrupted:N0} interrupted ones left out");
    }

    /// <summary>Mean record-call ns per sampled batch, its share of the mean <c>Run</c> time, and the sample count.</summary>
    public static (double NanosecondsPerBatch, double ShareOfInference, long Samples) Combine(IEnumerable<RecordingOverhead> workers) =>
        Combine(Sum(workers));

    private static (double NanosecondsPerBatch, double ShareOfInference, long Samples) Combine(Totals t)
    {
        double ns = t.Samples == 0 ? 0 : t.RecordTicks * 1e9 / Stopwatch.Frequency / t.Samples;
        double runNs = t.Runs == 0 ? 0 : t.RunTicks * 1e9 / Stopwatch.Frequency / t.Runs;
        return (ns, runNs > 0 ? ns / runNs : 0, t.Samples);
    }

    private static Totals Sum(IEnumerable<RecordingOverhead> workers)
    {
        var t = default(Totals);
        foreach (RecordingOverhead w in workers)
        {
            t = new Totals(t.RecordTicks + w._recordTicks, t.Samples + w._recordSamples, t.Interrupted + w._interrupted, t.RunTicks + w._runTicks, t.Runs + w._runs);
        }

        return t;
    }

    private readonly record struct Totals(long RecordTicks, long Samples, long Interrupted, long RunTicks, long Runs);
}
