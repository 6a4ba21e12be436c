using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Threading;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// <c>--first-lap</c>: every record call of a new tracker's first lap (as many records as its ring has slots), timed
/// one by one on a fresh thread, with the thread's minor page faults over the lap (Linux). Once with the handle taken
/// before the loop (<c>CreateWriter</c>, which commits the ring's memory) and once through <c>Update</c> alone, which
/// leaves each page to the first record that enters it. Not a BenchmarkDotNet case: a first lap happens once per
/// ring, and its cost is in a few calls, not in the mean.
/// </summary>
internal static class FirstLap
{
    private static readonly long Slow = Stopwatch.Frequency / 200_000; // 5 µs: a hundred times a record call

    public static void Print()
    {
        Console.WriteLine("First lap of a new tracker's ring (as many records as it has slots), every record call timed, on a fresh thread after a compacting GC.");
        Console.WriteLine("Minor page faults: the thread's own over the lap (Linux /proc/thread-self/stat).");
        Console.WriteLine();
        Console.WriteLine("| window | slots | recording through | setup µs | page faults in the lap | calls > 5 µs | p99.9 ns | max µs | lap ms |");
        Console.WriteLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        Run(1000, handle: true, print: false); // warm-up: JIT of both paths
        Run(1000, handle: false, print: false);
        foreach (int window in new[] { 1000, 20_000, 100_000 })
        {
            foreach (bool handle in new[] { true, false })
            {
                Run(window, handle, print: true);
            }
        }
    }

    private static void Run(int window, bool handle, bool print)
    {
        int slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2 * window, window + 64)); // the registry's ring size
        var thread = new Thread(() =>
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true); // free heap back to the OS: fresh memory, as in a new process
            var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = window });
            long[] calls = new long[slots];
            calls.AsSpan().Clear(); // the timings' own pages, committed before the lap
            long s0 = Stopwatch.GetTimestamp();
            BatchStatsWriter? writer = handle ? stats.CreateWriter() : null;
            double setupUs = Stopwatch.GetElapsedTime(s0).TotalMicroseconds; // without a handle, registration is the lap's first record
            long faults = MinorFaults();
            long lap = Stopwatch.GetTimestamp();
            Lap(stats, writer, calls);
            double lapMs = Stopwatch.GetElapsedTime(lap).TotalMilliseconds;
            faults = faults < 0 ? -1 : MinorFaults() - faults;
            if (!print)
            {
                return;
            }

            int slow = 0;
            foreach (long c in calls)
            {
                slow += c > Slow ? 1 : 0;
            }

            Array.Sort(calls);
            double Ns(long ticks) => ticks * 1e9 / Stopwatch.Frequency;
            string faultText = faults < 0 ? "n/a" : faults.ToString("N0", CultureInfo.InvariantCulture);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {window:N0} | {slots:N0} | {(handle ? "`CreateWriter()` handle" : "`Update` alone")} | {(handle ? setupUs.ToString("F0", CultureInfo.InvariantCulture) : "–")} | {faultText} | {slow:N0} | {Ns(calls[(int)(0.999 * (slots - 1))]):F0} | {Ns(calls[^1]) / 1000:F1} | {lapMs:F1} |"));
        });
        thread.Start();
        thread.Join();
    }

    /// <summary>
    /// The timed loop, compiled optimized at once: a tiered loop would be replaced on the stack (on-stack
    /// replacement) partway through the lap, and that compilation's own page faults would be counted with the lap's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Lap(LockFreeBatchStats stats, BatchStatsWriter? writer, long[] calls)
    {
        for (int i = 0; i < calls.Length; i++)
        {
            var sample = new BatchSample(0.001 * (1 + (i & 15)), 1, 0.0001, 0.002, i & 7, i + 1);
            long t0 = Stopwatch.GetTimestamp();
            if (writer is not null)
            {
                writer.Update(sample);
            }
            else
            {
                stats.Update(sample);
            }

            calls[i] = Stopwatch.GetTimestamp() - t0;
        }
    }

    /// <summary>The calling thread's minor page faults so far, or -1 where <c>/proc</c> does not have them.</summary>
    private static long MinorFaults()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        string stat = File.ReadAllText("/proc/thread-self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": field 3 onwards
        return long.Parse(fields[10 - 3], CultureInfo.InvariantCulture);
    }
}
