using System;
using System.Linq;
using System.Threading;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="WriterRing"/>'s seqlock copies driven directly, with the writer acting at the exact point of a copy
/// (the <see cref="WriterRing.BeforeCopy"/> hook runs between the reader's Head read and its slot copy). Sample q
/// (0-based sequence) is <c>LockFreeBatchStatsConcurrencyTests.Linked(q + 1)</c>, so a torn, misplaced or foreign sample shows.
/// </summary>
public sealed class WriterRingTests
{
    private const int Batch = 48;
    private const int Window = 192;

    [Fact]
    public void CopyRecent_EmptyRing_CopiesNothing()
    {
        WriterRing ring = NewRing(256);
        var destination = new Slot[Window];
        Assert.Equal(0, ring.CopyRecent(destination, Window, out RingCounters counters));
        Assert.Equal(default, counters);
    }

    [Fact]
    public void CopyRecent_QuietWriter_CopiesTheNewestWindow()
    {
        WriterRing ring = NewRing(256);
        long next = WriteBatches(ring, 0, 5);
        AssertWholeBatchesEndingAt(ring, Copy(ring), next, Window);
    }

    /// <summary>
    /// The writer laps the ring's slack before each of the reader's first ten copies: the reader retries until a
    /// copy is intact and returns the full window, never the intact tail of a lapped copy (which starts mid-batch).
    /// </summary>
    [Fact]
    public void CopyRecent_WriterLapsTheFirstCopies_RetriesAndReturnsTheFullWindowOfWholeBatches()
    {
        WriterRing ring = NewRing(256);
        long next = WriteBatches(ring, 0, 8);
        int laps = 0;
        ring.BeforeCopy = () =>
        {
            if (laps++ < 10)
            {
                next = WriteBatches(ring, next, 4); // 192 samples: more than the 64 of slack
            }
        };

        long lappedBefore = WriterRing.CopyStatistics.Lapped;
        AssertWholeBatchesEndingAt(ring, Copy(ring), next, Window);
        Assert.True(laps > 10);
        Assert.True(WriterRing.CopyStatistics.Lapped - lappedBefore >= 10); // process-wide: other tests may add more
    }

    /// <summary>
    /// An <c>UpdateMany</c> publication in flight (claimed and stored, Head not yet moved) overwrites slots the
    /// reader is about to copy, while the re-read Head alone says they are intact: only the claim tells the reader.
    /// </summary>
    [Theory]
    [InlineData(256)]
    [InlineData(512)]
    public void CopyRecent_PublicationInFlightOverTheCopiedSlots_IsNeverCopied(int capacity)
    {
        WriterRing ring = NewRing(capacity);
        long next = WriteBatches(ring, 0, capacity / Batch + 2);
        long sumInFlight = 0;
        bool fired = false;
        ring.BeforeCopy = () =>
        {
            if (fired)
            {
                return;
            }

            fired = true;
            // Whole batches up to the slack (the re-read Head covers those), then one batch in flight whose slots
            // are among the first ones the reader is about to copy.
            next = WriteBatches(ring, next, (capacity - Window) / Batch);
            sumInFlight = ring.StoreMany(BatchFrom(next), skipInvalid: false, Batch, 0);
        };

        Slot[] copy = Copy(ring);
        Assert.True(fired);
        AssertWholeBatchesEndingAt(ring, copy, next, Window);
        ring.PublishMany(next + Batch, sumInFlight);
        next += Batch;
        AssertWholeBatchesEndingAt(ring, Copy(ring), next, Window);
    }

    /// <summary>
    /// A writer that laps every copy: after <see cref="WriterRing.CopyAttempts"/> tries the reader keeps the intact
    /// newest part from a known publication boundary on: the newest batch's end, or any single record after it.
    /// </summary>
    /// <param name="batchInLaps">Each lap but the last writes 60 single records, a batch, then 40 single records.</param>
    /// <param name="batchInLastLap">The last lap also writes a batch (after the copy's Head: no boundary below Head is known).</param>
    /// <param name="expected">Samples kept.</param>
    [Theory]
    [InlineData(false, false, 155)] // single records only: the whole intact part (capacity - 100 - 1)
    [InlineData(true, false, 40)] // the previous lap's batch lies in the intact part: from its end on
    [InlineData(true, true, 0)] // a batch claimed during the last copy: only Head is known to be a boundary
    public void CopyRecent_WriterLapsEveryCopy_LastResortStartsAtAPublicationBoundary(bool batchInLaps, bool batchInLastLap, int expected)
    {
        WriterRing ring = NewRing(256);
        long next = WriteBatches(ring, 0, 8);
        int copies = 0;
        long WriteSingles(int count)
        {
            for (int i = 0; i < count; i++, next++)
            {
                BatchSample s = LockFreeBatchStatsConcurrencyTests.Linked(next + 1);
                ring.Write(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp);
            }

            return next;
        }

        long lastHead = 0;
        ring.BeforeCopy = () =>
        {
            lastHead = next;
            bool batch = ++copies < WriterRing.CopyAttempts ? batchInLaps : batchInLastLap;
            if (batch)
            {
                WriteSingles(60);
                next = WriteBatches(ring, next, 1);
                WriteSingles(40);
            }
            else
            {
                WriteSingles(100);
            }
        };

        var destination = new Slot[Window];
        (long lappedBefore, long cutsBefore) = WriterRing.CopyStatistics;
        int n = ring.CopyRecent(destination, Window, 0, out RingCounters counters, out bool cut);
        Assert.True(WriterRing.CopyStatistics.Lapped - lappedBefore >= WriterRing.CopyAttempts); // process-wide: others may add
        Assert.True(WriterRing.CopyStatistics.Cuts - cutsBefore >= 1);
        Assert.True(cut);
        Assert.Equal(WriterRing.CopyAttempts, copies);
        Assert.Equal(expected, n);
        Assert.Equal(lastHead, counters.BatchCount); // the last copy's Head, before its lap
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(lastHead - n + i + 1, destination[i].Timestamp);
        }
    }

    [Fact]
    public void CopyRecent_NotBefore_CopiesOnlyFromThatSequence()
    {
        WriterRing ring = NewRing(256);
        WriteBatches(ring, 0, 2);
        var destination = new Slot[Window];
        Assert.Equal(Batch - 8, ring.CopyRecent(destination, Window, Batch + 8, out RingCounters c, out bool cut));
        Assert.False(cut);
        Assert.Equal(2 * Batch, c.BatchCount);
        Assert.Equal(Batch + 9, destination[0].Timestamp);
        Assert.Equal(0, ring.CopyRecent(destination, Window, 3 * Batch, out _, out _));
    }

    [Fact]
    public void CopySince_WriterLappedTheWantedRange_Declines()
    {
        WriterRing ring = NewRing(256);
        WriteBatches(ring, 0, 8);
        var destination = new Slot[512];
        Assert.Equal(-1, ring.CopySince(0, destination, out _)); // the first records were overwritten long ago
        Assert.Equal(Batch, ring.CopySince(7 * Batch, destination, out RingCounters c));
        Assert.Equal(8 * Batch, c.BatchCount);
        Assert.Equal(Enumerable.Range(7 * Batch + 1, Batch).Select(t => (long)t), destination.Take(Batch).Select(s => s.Timestamp));
    }

    /// <summary>The delta's size checks at their edges: nothing new, a start past Head, the destination's length, the ring's capacity.</summary>
    [Fact]
    public void CopySince_SizeEdges()
    {
        WriterRing ring = NewRing(256);
        long head = WriteBatches(ring, 0, 12);
        Assert.Equal(0, ring.CopySince(head, new Slot[4], out RingCounters c));
        Assert.Equal(head, c.BatchCount);
        Assert.Equal(-1, ring.CopySince(head + 1, new Slot[4], out _));

        var ten = new Slot[10];
        Assert.Equal(10, ring.CopySince(head - 10, ten, out _));
        Assert.Equal(head - 9, ten[0].Timestamp);
        Assert.Equal(-1, ring.CopySince(head - 11, ten, out _)); // one more than fits

        var large = new Slot[512];
        Assert.Equal(255, ring.CopySince(head - 255, large, out _)); // the oldest slot still intact
        Assert.Equal(head - 254, large[0].Timestamp);
        Assert.Equal(-1, ring.CopySince(head - 256, large, out _)); // a whole ring: the next write would overwrite its first slot
    }

    [Fact]
    public void Version_GrowsWithRecordsErrorsAndRejections()
    {
        WriterRing ring = NewRing(256);
        Assert.Equal(0, ring.Version);
        ring.Write(0.5, 1, 0, 0, 0, 10);
        ring.AddErrors(3, 11);
        ring.AddRejected(2);
        Assert.Equal(1 + 3 + 2, ring.Version);
        Assert.Equal(1, ring.Head);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(96)]
    public void Constructor_CapacityNotAPowerOfTwoOfAtLeastTwo_Throws(int capacity) =>
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => NewRing(capacity)).ParamName);

    [Fact]
    public void CopyRecent_MoreThanTheCapacityOrTheDestination_Throws()
    {
        WriterRing ring = NewRing(256);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ring.CopyRecent(new Slot[512], 257, out _)).ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ring.CopyRecent(new Slot[8], 9, out _)).ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ring.CopyRecent(new Slot[8], -1, out _)).ParamName);
        Assert.Equal(0, ring.CopyRecent(new Slot[256], 256, out _));
    }

    /// <summary>A copy that starts exactly at the oldest slot still intact (one below Head + 1 - capacity) is whole, not lapped.</summary>
    [Fact]
    public void CopyRecent_FromTheOldestIntactSlot_IsNotCut()
    {
        WriterRing ring = NewRing(256);
        for (int i = 1; i <= 300; i++)
        {
            ring.Write(0.5, 1, 0, 0, 0, i);
        }

        var destination = new Slot[256];
        Assert.Equal(255, ring.CopyRecent(destination, 255, 0, out RingCounters c, out bool cut));
        Assert.False(cut);
        Assert.Equal((46L, 300L), (destination[0].Timestamp, destination[254].Timestamp));
        Assert.Equal(300, c.BatchCount);
    }

    /// <summary>
    /// An <c>UpdateMany</c> claimed and stored but not yet published has overwritten the oldest slots: a delta from
    /// below the claim's reach is declined, one from exactly its first intact sequence on is copied.
    /// </summary>
    [Fact]
    public void CopySince_BatchInFlight_DeclinesWhatItOverwrote()
    {
        WriterRing ring = NewRing(256);
        for (int i = 1; i <= 300; i++)
        {
            ring.Write(0.5, 1, 0, 0, 0, i);
        }

        BatchSample[] batch = [.. Enumerable.Range(301, 100).Select(t => new BatchSample(0.5, 1, 0, 0, 0, t))];
        long sum = ring.StoreMany(batch, skipInvalid: false, batch.Length, 0); // claim 400: sequences up to 143 overwritten
        var destination = new Slot[256];
        Assert.Equal(-1, ring.CopySince(143, destination, out _));
        Assert.Equal(156, ring.CopySince(144, destination, out RingCounters c)); // 145..300 by timestamp
        Assert.Equal((145L, 300L, 300L), (destination[0].Timestamp, destination[155].Timestamp, c.BatchCount));
        ring.PublishMany(400, sum);
        Assert.Equal(100, ring.CopySince(300, destination, out c));
        Assert.Equal(400, c.BatchCount);
    }

    /// <summary>Events added while a reader copies (the hook) overwrite some of the copied ones: those are dropped, the rest kept.</summary>
    [Fact]
    public void CopyErrorEvents_WriterOverwritesCopiedEvents_KeepsOnlyTheIntactNewest()
    {
        WriterRing ring = NewRing(256);
        for (int i = 0; i < 300; i++)
        {
            ring.AddErrors(1, i);
        }

        ring.BeforeErrorRecheck = () =>
        {
            ring.BeforeErrorRecheck = null;
            for (int i = 300; i < 600; i++)
            {
                ring.AddErrors(1, i); // sequences 512..599 land in the array slots of 0..87
            }
        };

        var events = new ErrorEvent[WriterRing.ErrorEventCapacity];
        int copied = ring.CopyErrorEvents(events); // copied 44..299; 44..87 overwritten, 88 kept back as possibly in flight
        Assert.Equal(211, copied);
        Assert.Equal(Enumerable.Range(89, 211).Select(t => (long)t), events.Take(copied).Select(e => e.Timestamp));
    }

    /// <summary>Adoption: only the current (exited) owner's samples are scanned, and a ring is never taken from a running owner.</summary>
    [Fact]
    public void Adopt_ScansOnlySamplesSinceAdoption_AndNeverFromARunningOwner()
    {
        Thread first = ExitedThread();
        var ring = new WriterRing(new object(), 256, first);
        for (int i = 100; i < 110; i++)
        {
            ring.Write(0.5, 1, 0, 0, 0, i);
        }

        Assert.Equal(109, ring.NewestStampSinceAdoption());
        Thread second = ExitedThread();
        ring.Adopt(second);
        Assert.Equal(10, ring.AdoptedAt);
        Assert.Null(ring.NewestStampSinceAdoption()); // nothing recorded since
        Thread third = ExitedThread();
        ring.Adopt(third);
        for (int i = 5; i < 8; i++)
        {
            ring.Write(0.5, 1, 0, 0, 0, i); // older stamps than the first owner's: only these count
        }

        Assert.Equal(7, ring.NewestStampSinceAdoption());

        WriterRing live = NewRing(256);
        Assert.Throws<InvalidOperationException>(() => live.Adopt(Thread.CurrentThread));
        Assert.Throws<InvalidOperationException>(() => live.NewestStampSinceAdoption());
    }

    [Fact]
    public void CopyErrorEvents_MoreThanCapacity_KeepsTheNewestCapacityEvents()
    {
        WriterRing ring = NewRing(256);
        for (int i = 1; i <= WriterRing.ErrorEventCapacity + 44; i++)
        {
            ring.AddErrors(i, 1000 + i);
        }

        var events = new ErrorEvent[WriterRing.ErrorEventCapacity];
        Assert.Equal(WriterRing.ErrorEventCapacity, ring.CopyErrorEvents(events));
        Assert.Equal(Enumerable.Range(45, WriterRing.ErrorEventCapacity).Select(i => (long)i), events.Select(e => e.Count));
        Assert.Equal(Enumerable.Range(1045, WriterRing.ErrorEventCapacity).Select(i => (long)i), events.Select(e => e.Timestamp));
    }

    /// <summary>A thread that has run and exited: a ring owned by it may be adopted.</summary>
    internal static Thread ExitedThread()
    {
        var thread = new Thread(() => { });
        thread.Start();
        thread.Join();
        return thread;
    }

    private static WriterRing NewRing(int capacity) => new(new object(), capacity, Thread.CurrentThread);

    private static Slot[] Copy(WriterRing ring)
    {
        var destination = new Slot[Window];
        int n = ring.CopyRecent(destination, Window, out _);
        return destination[..n];
    }

    private static BatchSample[] BatchFrom(long first) =>
        [.. Enumerable.Range(0, Batch).Select(i => LockFreeBatchStatsConcurrencyTests.Linked(first + i + 1))];

    /// <summary>Writes <paramref name="batches"/> whole batches from sequence <paramref name="next"/>; returns the next sequence.</summary>
    private static long WriteBatches(WriterRing ring, long next, int batches)
    {
        for (int b = 0; b < batches; b++, next += Batch)
        {
            ring.WriteMany(BatchFrom(next), skipInvalid: false, Batch, 0);
        }

        return next;
    }

    /// <summary>The copy is the <paramref name="count"/> newest samples up to <paramref name="head"/>: intact, consecutive, whole batches.</summary>
    internal static void AssertWholeBatchesEndingAt(WriterRing ring, Slot[] copy, long head, int count)
    {
        Assert.Equal(head, ring.Head);
        Assert.Equal(count, copy.Length);
        Assert.Equal(0, (head - count) % Batch);
        for (int i = 0; i < copy.Length; i++)
        {
            long expected = head - count + i + 1;
            Slot s = copy[i];
            Assert.Equal(LockFreeBatchStatsConcurrencyTests.Linked(expected), new BatchSample(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp));
        }
    }
}
