using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using System.Threading.Tasks;
using BatchStats.Fast.Internal;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// The writer's chunked binning into the all-time histograms (WriterRing.Histograms.cs): a read is exact at any
/// point of a history (binned records plus the ones still pending in the slots), never counts a record twice while
/// the owner is binning, and its sum is the sequential sum in record order.
/// </summary>
public sealed class WriterRingHistogramsTests
{
    /// <summary>
    /// The memory the guide and <see cref="BatchStatsOptions.HistogramScale"/> state: a ring's cells take
    /// 3,840 × 2^scale bytes, so a new thread's first record allocates exactly 3,840 × (64 - 8) bytes more at scale 6
    /// than at scale 3 (the ring, its slots and everything else are the same size).
    /// </summary>
    [Fact]
    public void FirstRecordOnANewThread_CellsTake3840TimesTwoToTheScaleBytes()
    {
        long FirstRecord(int scale)
        {
            var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 1000, HistogramScale = scale });
            stats.Update(new BatchSample(0.01, 1, 0, 0, 0, 1)); // this thread's ring and the tracker's shared parts exist now; caller-stamped: no clock thread
            long allocated = 0;
            var thread = new Thread(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                stats.Update(new BatchSample(0.01, 1, 0, 0, 0, 2));
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            });
            thread.Start();
            thread.Join();
            return allocated;
        }

        Assert.Equal(3_840L * (64 - 8), FirstRecord(6) - FirstRecord(3));
        Assert.InRange(FirstRecord(3), (1L << 11) * 40 + (3_840L << 3), (1L << 11) * 40 + (3_840L << 3) + (16 << 10)); // 2048 slots, the cells, under 16 KiB more
    }

    /// <summary>
    /// Random histories of single records and UpdateMany spans (some longer than the ring), read after every step:
    /// counts per bucket, zero count, min and max of all three series equal a plain reference over every value
    /// recorded, and each sum is bit for bit the sequential sum in record order; counts and sums never fall between reads.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property GetHistograms_AfterEveryStep_EqualsTheReference() =>
        Prop.ForAll(
            Gen.Choose(0, 300).Select(n => n == 0 ? 1 : n).ArrayOf().ToArbitrary(), // 1: a single Update; more: UpdateMany(n)
            Gen.Choose(0, 1_000_000).ArrayOf().ToArbitrary(),
            (steps, seeds) =>
            {
                var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 8, CacheValidTime = TimeSpan.Zero }); // 128-slot ring: long spans lap it
                ExponentialLayout layout = ExponentialLayout.ForScale(3);
                var values = new List<double>();
                long stamp = 0;
                int next = 0;
                double Value() => seeds.Length == 0 ? 0.001 : seeds[next++ % seeds.Length] is int x && x % 97 == 0 ? 0 : Math.Exp((seeds[(next - 1) % seeds.Length] / 1e6 * 20) - 14);
                long lastCount = 0;
                double lastSum = 0;
                foreach (int n in steps.Take(40))
                {
                    var batch = new BatchSample[n];
                    for (int i = 0; i < n; i++)
                    {
                        double v = Value();
                        batch[i] = new BatchSample(v, 1, v / 2, v * 3, 0, ++stamp);
                        values.Add(v);
                    }

                    if (n == 1)
                    {
                        stats.Update(batch[0]);
                    }
                    else
                    {
                        stats.UpdateMany(batch);
                    }

                    BatchStatsHistograms all = stats.GetHistograms();
                    ExponentialHistogram h = all.ProcessingTime;
                    bool ok = Matches(h, values, layout) && Matches(all.QueueTime, values.ConvertAll(v => v / 2), layout)
                        && Matches(all.Latency, values.ConvertAll(v => v * 3), layout)
                        && h.Count >= lastCount && h.Sum >= lastSum;
                    if (!ok)
                    {
                        return false;
                    }

                    (lastCount, lastSum) = (h.Count, h.Sum);
                }

                return true;
            });

    /// <summary>Counts per bucket, zero count, count, min and max of <paramref name="h"/> are the reference's; the sum is the sequential one.</summary>
    private static bool Matches(ExponentialHistogram h, List<double> values, ExponentialLayout layout)
    {
        double sequential = 0;
        foreach (double v in values)
        {
            sequential += v;
        }

        var expected = values.Where(v => v > ExponentialLayout.MinValue).GroupBy(layout.Index).ToDictionary(g => g.Key, g => (long)g.Count());
        bool buckets = Enumerable.Range(0, h.Counts.Length).All(i => h.Counts[i] == expected.GetValueOrDefault(h.Offset + i));
        return h.Count == values.Count && buckets && h.ZeroCount == values.Count(v => v <= ExponentialLayout.MinValue)
            && h.Sum == sequential && h.Min == values.Min() && h.Max == values.Max();
    }

    /// <summary>
    /// The chunk pass (<c>RecordRange</c>, and each of its scalar, AVX2 and AVX-512 paths that this machine runs) against
    /// <c>Record</c> value by value, at every
    /// scale, over random slots of edge values (zeros of both signs, subnormals, the zero threshold, every boundary
    /// and power of two with their neighbouring doubles, the range ends, huge values) and random batch sizes and queue
    /// lengths (the ints beside the times in a slot): the same count in every cell, and bit for bit the same sums,
    /// minima and maxima, before and after a pass that starts on partial stats.
    /// </summary>
    [Property(MaxTest = 80)]
    public Property RecordRange_EqualsRecordValueByValue_AtEveryScale() =>
        Prop.ForAll(
            Gen.Choose(ExponentialLayout.MinScale, ExponentialLayout.MaxScale).ToArbitrary(),
            Gen.Choose(0, int.MaxValue).ArrayOf().ToArbitrary(),
            (scale, seeds) =>
            {
                ExponentialLayout layout = ExponentialLayout.ForScale(scale);
                var edges = new List<double> { 0.0, -0.0, double.Epsilon, 1e-310, ExponentialLayout.MinValue, ExponentialLayout.MaxValue, 1e300, double.MaxValue };
                for (int e = ExponentialLayout.MinExponent - 1; e <= ExponentialLayout.MaxExponent; e += 7)
                {
                    for (int k = 0; k < 1 << scale; k++)
                    {
                        double b = Math.Pow(2, e + ((double)k / (1 << scale)));
                        edges.AddRange([b, Math.BitDecrement(b), Math.BitIncrement(b)]);
                    }
                }

                var slots = new Slot[WriterRing.BinChunk];
                var random = new Random(seeds.Length == 0 ? 1 : seeds[0]);
                bool zeros = seeds.Length > 2 && seeds[2] % 4 == 0; // only zeros of both signs: which one a minimum or maximum keeps shows
                double Value() => zeros ? edges[random.Next(2)] : random.Next(3) == 0 ? Math.Exp((random.NextDouble() * 44) - 22) : edges[random.Next(edges.Count)];
                for (int i = 0; i < slots.Length; i++)
                {
                    slots[i] = new Slot { Timestamp = random.NextInt64(), ProcessingTime = Value(), QueueTime = Value(), Latency = Value(), BatchSize = random.Next(int.MinValue, int.MaxValue), QueueLength = random.Next(int.MinValue, int.MaxValue) };
                }

                int split = seeds.Length > 1 ? seeds[1] % slots.Length : slots.Length / 2;
                var single = new RingHistograms(layout);
                for (int i = 0; i < slots.Length + split; i++)
                {
                    Slot s = slots[i % slots.Length];
                    single.Record(s.ProcessingTime, s.QueueTime, s.Latency);
                }

                // Every pass this machine has: the dispatching one, the scalar one, and the AVX2 and AVX-512 ones where they run.
                var passes = new List<Action<RingHistograms, long, long>>
                {
                    (h, from, to) => h.RecordRange(ref slots[0], slots.Length - 1, from, to),
                    (h, from, to) => h.RecordRangeScalar(ref slots[0], slots.Length - 1, from, to),
                };
                if (Avx2.IsSupported)
                {
                    passes.Add((h, from, to) => h.RecordRangeAvx2(ref slots[0], slots.Length - 1, from, to));
                }

                if (Avx512F.IsSupported && scale <= 3)
                {
                    passes.Add((h, from, to) => h.RecordRangeAvx512(ref slots[0], slots.Length - 1, from, to));
                    passes.Add((h, from, to) => // ranges of every length and start: pairs, lone records, wraps, blocks
                    {
                        for (long at = from, step = 1; at < to; at += step, step = (step % 7) + 1)
                        {
                            h.RecordRangeAvx512(ref slots[0], slots.Length - 1, at, Math.Min(at + step, to));
                        }
                    });
                }

                foreach (Action<RingHistograms, long, long> pass in passes)
                {
                    var chunked = new RingHistograms(layout);
                    pass(chunked, 0, split);
                    pass(chunked, split, slots.Length + split); // wraps the mask
                    for (int series = 0; series < RingHistograms.SeriesCount; series++)
                    {
                        var a = new long[layout.CellCount];
                        var b = new long[layout.CellCount];
                        chunked.Read(series, a, out double sumA, out double minA, out double maxA);
                        single.Read(series, b, out double sumB, out double minB, out double maxB);
                        if (!a.SequenceEqual(b) || Bits(sumA) != Bits(sumB) || Bits(minA) != Bits(minB) || Bits(maxA) != Bits(maxB))
                        {
                            return false;
                        }
                    }
                }

                return true;

                static long Bits(double d) => BitConverter.DoubleToInt64Bits(d);
            });

    /// <summary>
    /// The AVX-512 pass over ranges longer than its block of 64 records, starting anywhere in a ring of 256 slots (so
    /// blocks end mid-pair and ranges wrap the ring): the same cells and bit for bit the same sums, minima and maxima
    /// as <c>Record</c> value by value. Where the machine has no AVX-512 the dispatching pass is checked instead.
    /// </summary>
    [Theory]
    [InlineData(0, 256)]
    [InlineData(1, 200)]
    [InlineData(63, 130)]
    [InlineData(200, 257)]
    [InlineData(255, 2)]
    public void RecordRangeAvx512_LongRangesAcrossBlocksAndTheRingEnd_EqualRecordValueByValue(int start, int length)
    {
        ExponentialLayout layout = ExponentialLayout.ForScale(3);
        var random = new Random(start + length);
        var slots = new Slot[256];
        for (int i = 0; i < slots.Length; i++)
        {
            double p = Math.Exp((random.NextDouble() * 30) - 20);
            slots[i] = new Slot { Timestamp = i, ProcessingTime = p, QueueTime = random.Next(4) == 0 ? 0 : p / 3, Latency = p * 1.5, BatchSize = random.Next(), QueueLength = -random.Next() };
        }

        var single = new RingHistograms(layout);
        var passed = new RingHistograms(layout);
        for (long seq = start; seq < start + length; seq++)
        {
            Slot s = slots[seq & 255];
            single.Record(s.ProcessingTime, s.QueueTime, s.Latency);
        }

        if (Avx512F.IsSupported)
        {
            passed.RecordRangeAvx512(ref slots[0], 255, start, start + length);
        }
        else
        {
            passed.RecordRange(ref slots[0], 255, start, start + length);
        }

        for (int series = 0; series < RingHistograms.SeriesCount; series++)
        {
            var a = new long[layout.CellCount];
            var b = new long[layout.CellCount];
            passed.Read(series, a, out double sumA, out double minA, out double maxA);
            single.Read(series, b, out double sumB, out double minB, out double maxB);
            Assert.Equal(b, a);
            Assert.Equal((sumB, minB, maxB), (sumA, minA, maxA));
            Assert.Equal(BitConverter.DoubleToInt64Bits(sumB), BitConverter.DoubleToInt64Bits(sumA));
            Assert.Equal(length, a.Sum());
        }
    }

    /// <summary>
    /// The owner is held after incrementing a chunk's cells and before releasing BinnedTo: a reader on another thread
    /// must wait (its cells already hold the chunk, and the chunk's slots are still readable as pending), then count
    /// every record once. Without the claim check it returns at once with the chunk counted twice.
    /// </summary>
    [Fact]
    public async Task ReadHistogram_DuringABinning_WaitsAndCountsEachRecordOnce()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 16, CacheValidTime = TimeSpan.Zero });
        long countDuring = 0;
        await WhileOwnerHeld(
            hold =>
            {
                WriterRing ring = stats.CurrentRingForTests();
                ring.BeforeBinPublish = hold;
                for (int i = 1; i <= WriterRing.BinChunk; i++)
                {
                    stats.Update(new BatchSample(0.5, 1, 0, 1, 0, i)); // the last one bins the chunk and stops in the hook
                }

                ring.BeforeBinPublish = null;
            },
            async release =>
            {
                Task<long> reader = Task.Run(() => stats.GetHistograms().ProcessingTime.Count);
                await Task.Delay(200);
                Assert.False(reader.IsCompleted, "a reader must not finish while a chunk is half published");
                release();
                countDuring = await reader.WaitAsync(TimeSpan.FromSeconds(30));
            });
        Assert.Equal(WriterRing.BinChunk, countDuring);
        Assert.Equal(WriterRing.BinChunk * 0.5, stats.GetHistograms().ProcessingTime.Sum);
    }

    /// <summary>
    /// The owner is held after publishing the record that completes a chunk and before claiming the chunk (as a
    /// preempted owner would be): the whole chunk is pending, and a reader on another thread must count it from the
    /// slots without waiting for the owner. A reader that took fewer than a whole chunk of pending records would spin here.
    /// </summary>
    [Fact]
    public async Task ReadHistogram_OwnerHeldBeforeClaimingAFullChunk_CountsItFromTheSlotsWithoutWaiting()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 16, CacheValidTime = TimeSpan.Zero });
        await WhileOwnerHeld(
            hold =>
            {
                WriterRing ring = stats.CurrentRingForTests();
                ring.BeforeBinClaim = hold;
                for (int i = 1; i <= WriterRing.BinChunk; i++)
                {
                    stats.Update(new BatchSample(0.5, 1, 0.25, 1, 0, i)); // the last one stops in the hook, its chunk unclaimed
                }

                ring.BeforeBinClaim = null;
            },
            async _ =>
            {
                // The owner stays held until this returns: a reader that waited for it would time out here.
                BatchStatsHistograms read = await Task.Run(stats.GetHistograms).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(WriterRing.BinChunk, read.ProcessingTime.Count);
                Assert.Equal(WriterRing.BinChunk * 0.5, read.ProcessingTime.Sum);
                Assert.Equal(WriterRing.BinChunk * 0.25, read.QueueTime.Sum);
            });
        Assert.Equal(WriterRing.BinChunk, stats.GetHistograms().ProcessingTime.Count); // binned once the owner went on
    }

    /// <summary>
    /// An UpdateMany bins its own records directly under a claim: held after Head is released and before BinnedTo,
    /// a reader must wait (the batch is in the cells and, by Head, pending in the slots), then count it once.
    /// </summary>
    [Fact]
    public async Task ReadHistogram_DuringAnUpdateMany_WaitsAndCountsEachRecordOnce()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 16, CacheValidTime = TimeSpan.Zero });
        await WhileOwnerHeld(
            hold =>
            {
                for (int i = 1; i <= 10; i++)
                {
                    stats.Update(new BatchSample(0.25, 1, 0, 1, 0, i)); // pending, not binned: the UpdateMany bins them first
                }

                WriterRing ring = stats.CurrentRingForTests();
                ring.BeforeBinPublish = () =>
                {
                    if (ring.Head == 30) // the batch's publication, not the binning of the ten pending records before it
                    {
                        hold();
                    }
                };
                stats.UpdateMany(Enumerable.Range(11, 20).Select(i => new BatchSample(0.5, 1, 0, 1, 0, i)).ToArray());
                ring.BeforeBinPublish = null;
            },
            async release =>
            {
                Task<double> reader = Task.Run(() => stats.GetHistograms().ProcessingTime.Sum);
                await Task.Delay(200);
                Assert.False(reader.IsCompleted, "a reader must not finish while an UpdateMany's bins are unpublished");
                release();
                Assert.Equal((10 * 0.25) + (20 * 0.5), await reader.WaitAsync(TimeSpan.FromSeconds(30)));
            });
        Assert.Equal(30, stats.GetHistograms().ProcessingTime.Count);
    }

    /// <summary>
    /// Runs <paramref name="record"/> on a new owner thread, which passes <c>hold</c> to a hook: the first call of
    /// <c>hold</c> parks the owner there. Once it is parked, <paramref name="whileHeld"/> runs on this thread with a
    /// <c>release</c> that lets the owner go on; the owner is released in any case when <paramref name="whileHeld"/>
    /// ends (also when it fails), and joined.
    /// </summary>
    private static async Task WhileOwnerHeld(Action<Action> record, Func<Action, Task> whileHeld)
    {
        using var inHook = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var owner = new Thread(() => record(() =>
        {
            inHook.Set();
            release.Wait();
        }));
        owner.IsBackground = true;
        owner.Start();
        try
        {
            Assert.True(inHook.Wait(TimeSpan.FromSeconds(30)));
            await whileHeld(release.Set);
        }
        finally
        {
            release.Set(); // never leave the owner parked, whatever failed
        }

        owner.Join();
    }

    /// <summary>
    /// The owner runs ahead by more than a chunk between a reader's read of the cells and its read of Head (here the
    /// reader is the owner itself, recording in the hook): the reader must retry rather than take more pending
    /// records than a chunk, and then count each record once.
    /// </summary>
    [Fact]
    public void ReadHistogram_OwnerRunsAheadByMoreThanAChunk_RetriesAndCountsEachOnce()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 16, CacheValidTime = TimeSpan.Zero });
        long stamp = 0;
        for (int i = 0; i < 10; i++)
        {
            stats.Update(new BatchSample(0.5, 1, 0, 1, 0, ++stamp));
        }

        WriterRing ring = stats.CurrentRingForTests();
        int hooked = 0;
        ring.BeforeHistogramHead = () =>
        {
            if (hooked++ == 0)
            {
                for (int i = 0; i < 100; i++)
                {
                    stats.Update(new BatchSample(0.5, 1, 0, 1, 0, ++stamp)); // bins at 64: the claim moves on
                }
            }
        };
        ExponentialHistogram h = stats.GetHistograms().ProcessingTime;
        ring.BeforeHistogramHead = null;
        Assert.Equal(4, hooked); // the processing-time read twice (retried), then the queue-time and latency reads once each
        Assert.Equal(110, h.Count);
        Assert.Equal(55.0, h.Sum);
    }

    /// <summary>Records still pending when their thread exits are counted by readers, then binned by the ring's next owner.</summary>
    [Fact]
    public void PendingRecords_OfAnExitedThread_CountedThenBinnedByTheNextOwner()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 4, CacheValidTime = TimeSpan.Zero });
        var first = new Thread(() =>
        {
            for (int i = 1; i <= 10; i++)
            {
                stats.Update(new BatchSample(1, 1, 0, 1, 0, i));
            }
        });
        first.Start();
        first.Join();
        Assert.Equal(10, stats.GetHistograms().ProcessingTime.Count); // all pending (below a chunk)
        for (int i = 0; i < 4; i++)
        {
            stats.Update(new BatchSample(3, 1, 0, 1, 0, 100 + i)); // this thread's ring: a window of newer samples
        }

        stats.GetStats(); // publishes the window cutoff: the exited ring, now out of the window, can be reused
        var second = new Thread(() =>
        {
            for (int i = 11; i <= 11 + WriterRing.BinChunk; i++)
            {
                stats.Update(new BatchSample(2, 1, 0, 1, 0, 1000 + i));
            }
        });
        second.Start();
        second.Join();
        BatchStatsHistograms h = stats.GetHistograms();
        Assert.Equal(2, stats.RingCount); // the second thread took the first one's ring
        Assert.Equal(14 + WriterRing.BinChunk + 1, h.ProcessingTime.Count);
        Assert.Equal(10 + 12 + (2.0 * (WriterRing.BinChunk + 1)), h.ProcessingTime.Sum);
    }

    /// <summary>
    /// Small rings bin in chunks of half their capacity, so a chunk is binned before its slots are overwritten: after
    /// every record the read counts and sums exactly the records so far (distinct values, so a slot read twice or
    /// lost would change the sum).
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(256)]
    public void ReadHistogram_AfterEveryRecord_SmallAndLargeRings_CountsAndSumsExactly(int capacity)
    {
        ExponentialLayout layout = ExponentialLayout.ForScale(3);
        var ring = new WriterRing(new object(), capacity, Thread.CurrentThread, layout);
        var cells = new long[layout.CellCount];
        double expectedSum = 0;
        for (int i = 1; i <= 3 * WriterRing.BinChunk; i++)
        {
            double value = i / 1024.0;
            ring.Write(value, 1, 0, 0, 0, i);
            expectedSum += value;
            Array.Clear(cells);
            ring.ReadHistogram(RingHistograms.Processing, cells, out double sum, out double min, out double max);
            Assert.Equal(i, cells.Sum());
            Assert.Equal(expectedSum, sum);
            Assert.Equal((1 / 1024.0, value), (min, max));
        }
    }

    /// <summary>
    /// A read that overlaps an <c>UpdateMany</c>'s publication (Head released, the batch's bins not yet) waits for it
    /// and then counts the whole batch once.
    /// </summary>
    [Fact]
    public void ReadHistogram_DuringUpdateManyBinPublication_WaitsThenCountsTheBatchOnce()
    {
        ExponentialLayout layout = ExponentialLayout.ForScale(3);
        var ring = new WriterRing(new object(), 256, Thread.CurrentThread, layout);
        for (int i = 1; i <= 10; i++)
        {
            ring.Write(0.5, 1, 0, 0, 0, i);
        }

        BatchSample[] batch = [.. Enumerable.Range(11, 20).Select(t => new BatchSample(0.25, 1, 0, 0, 0, t))];
        (long Count, double Sum) read = default;
        var reader = new Thread(() =>
        {
            var cells = new long[layout.CellCount];
            ring.ReadHistogram(RingHistograms.Processing, cells, out double sum, out _, out _);
            read = (cells.Sum(), sum);
        });
        bool waitedDuringPublication = false;
        ring.BeforeBinPublish = () =>
        {
            if (ring.Head != 30)
            {
                return; // StoreMany binning the ten records before the batch
            }

            reader.Start();
            waitedDuringPublication = !reader.Join(200); // the claim is ahead of BinnedTo: the reader retries
        };
        ring.WriteMany(batch, skipInvalid: false, batch.Length, 0);
        ring.BeforeBinPublish = null;
        Assert.True(waitedDuringPublication);
        Assert.True(reader.Join(10_000));
        Assert.Equal((30L, 10.0), read);
    }
}
