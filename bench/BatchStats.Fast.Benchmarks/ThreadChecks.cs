using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using BatchStats.Fast.Internal;
using BatchStats.Fast.Internal.Kernels;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// <c>--paired-checks [rounds]</c>: what the writer handle's thread check costs, measured as paired rounds on one
/// thread. Every variant records through the same ring store (<see cref="WriterRing.TryWriteCallerStamped"/>); only
/// the check in front of it differs:
/// <list type="bullet">
/// <item>the shipped <see cref="BatchStatsWriter"/>;</item>
/// <item>the stack-address range check the handle used before (a prototype of it on the same ring);</item>
/// <item>a compare of <see cref="Environment.CurrentManagedThreadId"/> with the creator's id;</item>
/// <item>a compare of a primitive <c>[ThreadStatic]</c> int (a per-thread token) with the creator's token;</item>
/// <item>no check at all (the floor of this comparison).</item>
/// </list>
/// Each round times every variant back to back in a shuffled order; the table gives medians of the per-round times and
/// of each variant's ratio to the shipped handle in the same round.
/// </summary>
internal static class ThreadChecks
{
    private const int Records = 1 << 20;

    [ThreadStatic]
    private static int t_token;

    private static int s_lastToken;

    public static void Print(int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        // The handles are created on the team's thread, where the loops run (as in Paired and RecordBenchmarks).
        using var team = new ThreadTeam(1);
        var stats = new LockFreeBatchStats(1000, 1.0);
        BatchStatsWriter shipped = null!;
        StackRangeCheck byStack = null!;
        ManagedIdCheck byId = null!;
        TokenCheck byToken = null!;
        NoCheck unchecked_ = null!;
        team.Run(_ =>
        {
            shipped = stats.CreateWriter();
            WriterRing ring = stats.CurrentRingForTests();
            byStack = new StackRangeCheck(ring);
            byId = new ManagedIdCheck(ring);
            byToken = new TokenCheck(ring);
            unchecked_ = new NoCheck(ring);
        });

        (string Name, Action Run)[] variants =
        [
            ("BatchStatsWriter.Update(in sample) (shipped)", () => team.Run(_ => ShippedLoop(shipped, Records))),
            ("stack-address range (the earlier handle's check)", () => team.Run(_ => StackLoop(byStack, Records))),
            ("Environment.CurrentManagedThreadId == creator's", () => team.Run(_ => IdLoop(byId, Records))),
            ("[ThreadStatic] int token == creator's", () => team.Run(_ => TokenLoop(byToken, Records))),
            ("no check (ring store only)", () => team.Run(_ => NoCheckLoop(unchecked_, Records))),
        ];

        for (long t0 = Stopwatch.GetTimestamp(); Stopwatch.GetElapsedTime(t0).TotalSeconds < 3;)
        {
            foreach (var v in variants)
            {
                v.Run();
            }
        }

        var rng = new Random(11);
        var times = variants.ToDictionary(v => v.Name, _ => new List<double>());
        for (int round = 0; round < rounds; round++)
        {
            foreach (var v in variants.OrderBy(_ => rng.Next()))
            {
                long t0 = Stopwatch.GetTimestamp();
                v.Run();
                times[v.Name].Add(Stopwatch.GetElapsedTime(t0).TotalNanoseconds / Records);
            }
        }

        List<double> baseline = times[variants[0].Name];
        Console.WriteLine($"Writer-handle thread checks: {rounds} rounds of {Records:N0} caller-stamped records on a 1-thread ThreadTeam; variants in shuffled order per round.");
        Console.WriteLine();
        Console.WriteLine("| Check | ns/record (median) | quartiles | ÷ shipped handle, same round (median) | quartiles |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var v in variants)
        {
            List<double> t = times[v.Name];
            List<double> ratios = [.. t.Select((x, i) => x / baseline[i])];
            Console.WriteLine($"| {v.Name} | {Q(t, 50):F2} | {Q(t, 25):F2}–{Q(t, 75):F2} | {Q(ratios, 50):F3} | {Q(ratios, 25):F3}–{Q(ratios, 75):F3} |");
        }
    }

    private static int CurrentToken()
    {
        int token = t_token;
        return token != 0 ? token : t_token = Interlocked.Increment(ref s_lastToken);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Time(int i) => 0.001 * (1 + (i & 15));

    private static void ShippedLoop(BatchStatsWriter writer, int n)
    {
        for (int i = 0; i < n; i++)
        {
            writer.Update(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
        }
    }

    private static void StackLoop(StackRangeCheck writer, int n)
    {
        for (int i = 0; i < n; i++)
        {
            writer.Update(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
        }
    }

    private static void IdLoop(ManagedIdCheck writer, int n)
    {
        for (int i = 0; i < n; i++)
        {
            writer.Update(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
        }
    }

    private static void TokenLoop(TokenCheck writer, int n)
    {
        for (int i = 0; i < n; i++)
        {
            writer.Update(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
        }
    }

    private static void NoCheckLoop(NoCheck writer, int n)
    {
        for (int i = 0; i < n; i++)
        {
            writer.Update(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
        }
    }

    private static double Q(List<double> values, double percent)
    {
        double[] sorted = [.. values.Order()];
        (int lower, int upper, double gamma) = Percentiles.Position(sorted.Length, percent);
        return Percentiles.Lerp(sorted[lower], sorted[upper], gamma);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail() => throw new InvalidOperationException("wrong thread");

    /// <summary>The check the handle shipped before: a remembered range of the creator's stack addresses (≤ 2 KiB), else the exact check.</summary>
    [SkipLocalsInit]
    private sealed unsafe class StackRangeCheck(WriterRing ring)
    {
        private readonly Thread _thread = Thread.CurrentThread;
        private nuint _low = nuint.MaxValue;
        private nuint _high;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update(in BatchSample s)
        {
            byte marker;
            nuint here = (nuint)(&marker);
            if (here < _low || here > _high)
            {
                Confirm(here);
            }

            if (!ring.TryWriteCallerStamped(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp))
            {
                Fail();
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Confirm(nuint here)
        {
            if (!ReferenceEquals(Thread.CurrentThread, _thread))
            {
                Fail();
            }

            nuint low = Math.Min(_low, here), high = Math.Max(_high, here);
            if (high - low <= 2048)
            {
                (_low, _high) = (low, high);
            }
        }
    }

    private sealed class ManagedIdCheck(WriterRing ring)
    {
        private readonly int _id = Environment.CurrentManagedThreadId;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update(in BatchSample s)
        {
            if (Environment.CurrentManagedThreadId != _id)
            {
                Fail();
            }

            if (!ring.TryWriteCallerStamped(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp))
            {
                Fail();
            }
        }
    }

    private sealed class TokenCheck(WriterRing ring)
    {
        private readonly int _token = CurrentToken();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update(in BatchSample s)
        {
            if (t_token != _token)
            {
                Fail();
            }

            if (!ring.TryWriteCallerStamped(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp))
            {
                Fail();
            }
        }
    }

    private sealed class NoCheck(WriterRing ring)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update(in BatchSample s)
        {
            if (!ring.TryWriteCallerStamped(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp))
            {
                Fail();
            }
        }
    }
}
