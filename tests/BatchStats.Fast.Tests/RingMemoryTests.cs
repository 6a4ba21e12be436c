using System;
using System.Globalization;
using System.IO;
using System.Runtime;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>A fact that reads Linux's per-thread counters in <c>/proc</c>: reported as skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "reads the thread's page-fault count from /proc/thread-self/stat (Linux only)";
        }
    }
}

/// <summary>
/// The memory a record writes is committed when the ring is registered, not by the record calls: the OS commits an
/// untouched page on its first write, a minor page fault of microseconds (up to milliseconds on a busy host) that
/// would otherwise fall on one record call in every 102 of a ring's first lap, and on a record that bins into
/// histogram cells no record had reached. Counted with the thread's own minor-fault counter, on a fresh thread.
/// </summary>
[Collection(nameof(LockFreeBatchStatsAllocationTests))]
public sealed class RingMemoryTests
{
    private const int PageSize = 4096;

    /// <summary>The calling thread's minor page faults so far (field 10 of <c>/proc/thread-self/stat</c>).</summary>
    private static long ThreadMinorFaults()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": field 3 onwards
        return long.Parse(fields[10 - 3], CultureInfo.InvariantCulture);
    }

    /// <summary>Runs <paramref name="action"/> on a fresh thread: its fault counter holds only what the test does.</summary>
    private static void OnFreshThread(Action action)
    {
        using var thread = new WriterThreads(1);
        thread.Run(0, action);
    }

    /// <summary>Every method of the record path compiled and its first-time work done, on another tracker.</summary>
    private static void WarmUp(int scale)
    {
        BatchStatsWriter writer = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 64, HistogramScale = scale }).CreateWriter();
        for (int i = 0; i < 4096; i++)
        {
            writer.Update(new BatchSample(0.001 * (i & 15), 1, 0.0001, 0.002, 1, i));
        }
    }

    /// <summary>
    /// A compacting collection of every generation: the free space earlier tests left in the heap (pages already
    /// written) goes back to the OS, so the arrays a test allocates next get fresh memory, as in a new process.
    /// </summary>
    private static void CompactHeap()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    [LinuxFact]
    public void RingsFirstLap_TakesNoPageFault()
    {
        const int window = 200_000;
        const int records = 2 * window; // the ring holds at least twice the window: every record enters an unwritten slot
        OnFreshThread(() =>
        {
            WarmUp(3);
            CompactHeap();
            BatchStatsWriter writer = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = window }).CreateWriter();
            long before = ThreadMinorFaults();
            for (int i = 0; i < records; i++)
            {
                writer.Update(new BatchSample(0.001, 1, 0.0001, 0.002, 1, i));
            }

            long faults = ThreadMinorFaults() - before;
            long pages = (long)records * System.Runtime.CompilerServices.Unsafe.SizeOf<Slot>() / PageSize; // 3,906
            Assert.True(faults < pages / 16, $"{faults} page faults in {records:N0} records over {pages:N0} pages of slots");
        });
    }

    /// <summary>
    /// The handle writes only slots no record has reached: a thread that recorded through <c>Update</c> first keeps
    /// its window, whether its ring is still in its first lap (150 of 256 slots) or has wrapped (300).
    /// </summary>
    [Theory]
    [InlineData(150)]
    [InlineData(300)]
    public void CreateWriter_AfterRecords_KeepsTheWindow(int recorded)
    {
        OnFreshThread(() =>
        {
            var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 100 }); // a ring of 256 slots
            for (int i = 1; i <= recorded; i++)
            {
                stats.Update(new BatchSample(0.001 * i, i, 0.0001 * i, 0.002 * i, i, i));
            }

            var before = new BatchSample[100];
            Assert.Equal(100, stats.CopyRecentSamples(before));
            stats.CreateWriter().Update(new BatchSample(1, 1, 0, 0, 0, recorded + 1));

            var after = new BatchSample[101];
            Assert.Equal(100, stats.CopyRecentSamples(after));
            Assert.Equal(before[1..], after[..99]);
            Assert.Equal(new BatchSample(1, 1, 0, 0, 0, recorded + 1), after[99]);
        });
    }

    [LinuxFact]
    public void BinningIntoEveryCell_TakesNoPageFault()
    {
        const int scale = 6; // 240 KiB of cells: a large array, which the runtime hands out without writing it
        OnFreshThread(() =>
        {
            WarmUp(scale);
            CompactHeap();
            BatchStatsWriter writer = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 64, HistogramScale = scale }).CreateWriter();
            const int stepsPerOctave = 4 << scale; // finer than the cells (two per bucket) so the sweep meets each one
            int first = (ExponentialLayout.MinExponent - 1) * stepsPerOctave, last = (ExponentialLayout.MaxExponent + 1) * stepsPerOctave;
            long before = ThreadMinorFaults();
            for (int k = first; k <= last + 64; k++) // 64 more: the last chunk of the sweep is binned
            {
                double value = Math.Pow(2, (double)Math.Min(k, last) / stepsPerOctave);
                writer.Update(new BatchSample(value, 1, value, value, 1, k - first));
            }

            long faults = ThreadMinorFaults() - before;
            long pages = 3L * ExponentialLayout.ForScale(scale).CellCount * sizeof(long) / PageSize; // three series: 60
            Assert.True(faults < pages / 4, $"{faults} page faults binning into {pages} pages of cells");
        });
    }
}
