using System;
using System.ComponentModel;
using System.Runtime;
using System.Runtime.InteropServices;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>A fact that asks Linux's <c>mincore(2)</c> which pages are resident: reported as skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "asks mincore(2) which pages of an array are resident (Linux only)";
        }
    }
}

/// <summary>
/// The memory a record writes is committed when the ring is registered, not by the record calls: the OS commits an
/// untouched page on its first write, a minor page fault of microseconds (up to milliseconds on a busy host) that
/// would otherwise fall on one record call in every 102 of a ring's first lap, and on a record that bins into
/// histogram cells no record had reached. Checked on the cause, not by counting the thread's faults while it records:
/// every page of the memory a record may write is resident (<c>mincore(2)</c>) before the first record. A fault count
/// also holds the runtime's own work on that thread (tier-1 code installed mid-loop, a collection's write barriers),
/// which varies from run to run; residency of written anonymous memory does not (without swap).
/// </summary>
[Collection(nameof(LockFreeBatchStatsAllocationTests))]
public sealed unsafe partial class RingMemoryTests
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int mincore(void* address, nuint length, byte* residency);

    /// <summary>How many of the pages that hold <paramref name="memory"/> the OS has not committed.</summary>
    private static int PagesNotResident<T>(ReadOnlySpan<T> memory)
        where T : unmanaged
    {
        nuint pageSize = (nuint)Environment.SystemPageSize;
        fixed (T* start = memory)
        {
            nuint first = (nuint)start & ~(pageSize - 1), end = (nuint)(start + memory.Length);
            byte[] residency = new byte[(end - first + pageSize - 1) / pageSize];
            fixed (byte* pages = residency)
            {
                if (mincore((void*)first, end - first, pages) != 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }

            int notResident = 0;
            foreach (byte page in residency)
            {
                notResident += ~page & 1; // bit 0: the page is resident
            }

            return notResident;
        }
    }

    /// <summary>
    /// A compacting collection of every generation: the free space earlier tests left in the heap (pages already
    /// written) goes back to the OS, so the arrays a test allocates next get fresh memory, as in a new process, and
    /// the check would fail if the library did not write them.
    /// </summary>
    private static void CompactHeap()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    [LinuxFact]
    public void CreateWriter_CommitsEverySlotOfTheRing()
    {
        WriterThreads.OnFreshThread(() =>
        {
            CompactHeap();
            var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 200_000 }); // 524,288 slots: 20 MiB
            stats.CreateWriter();
            ReadOnlySpan<Slot> slots = stats.CurrentRingForTests().SlotsForTests;
            Assert.Equal(0, PagesNotResident(slots));
        });
    }

    [LinuxFact]
    public void ARingsHistograms_CommitEveryCell()
    {
        WriterThreads.OnFreshThread(() =>
        {
            CompactHeap();
            var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 64, HistogramScale = 6 }); // 240 KiB of cells
            stats.Update(new BatchSample(0.001, 1, 0.0001, 0.002, 1, 0)); // registers the ring, which creates its cells
            ReadOnlySpan<long> cells = stats.CurrentRingForTests().Histograms.CellsForTests;
            Assert.True(cells.Length * sizeof(long) > 3 * Environment.SystemPageSize, "more than a page or two of cells");
            Assert.Equal(0, PagesNotResident(cells));
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
        WriterThreads.OnFreshThread(() =>
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
}
