using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using BatchStats.Fast.Baseline;
using BatchStats.Fast.Internal.Kernels;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// <c>--paired [rounds]</c>: the record-path ratios that BenchmarkDotNet measures across cases, measured as pairs. On
/// a shared VM the speed drifts between BenchmarkDotNet cases that run minutes apart (the reports show the same row
/// moving 1.5 × between runs); here both halves of a ratio run milliseconds apart, over many rounds, and the median
/// of the per-round ratios is reported with its quartiles. The loops are the <see cref="RecordBenchmarks"/> loops on
/// the same <see cref="ThreadTeam"/> harness.
/// <list type="bullet">
/// <item>Scaling: each loop on a 1-thread team and on a 2-thread team back to back (alternating which goes first);
/// ratio = 1-thread time / 2-thread time. The floor's pairs show what the machine itself allows.</item>
/// <item>Against the locked baseline: at 2 and at 8 threads, the locked loop and each lock-free loop on the same team
/// back to back; ratio = locked time / lock-free time.</item>
/// </list>
/// </summary>
internal static class Paired
{
    private const int TotalRecords = 1 << 20;

    public static void Print(int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var handleStats = new LockFreeBatchStats(1000, 1.0);
        var updateStats = new LockFreeBatchStats(1000, 1.0);
        var locked = new LockedBatchStats(1000, 1.0);
        using var one = new Team(1, handleStats);
        using var two = new Team(2, handleStats);
        using var eight = new Team(8, handleStats);

        Loop floor = new("floor: store into own ring", t => t.Run(id => RecordBenchmarks.Loops.Floor(t.Floors[id], t.PerThread)));
        Loop handle = new("BatchStatsWriter.Update(in sample)", t => t.Run(id => RecordBenchmarks.Loops.WriterHandle(t.Writers[id], t.PerThread)));
        Loop update = new("stats.Update(in sample)", t => t.Run(_ => RecordBenchmarks.Loops.CallerStamped(updateStats, t.PerThread)));
        Loop lockedLoop = new("locked baseline Update", t => t.Run(_ => RecordBenchmarks.Loops.Locked(locked, t.PerThread)));
        Loop[] scalingLoops = [floor, handle, update];
        Loop[] lockFreeLoops = [handle, update];

        // Warm up: tiered compilation promotes every loop to optimized code (on every team: each lambda is its own method).
        for (long t0 = Stopwatch.GetTimestamp(); Stopwatch.GetElapsedTime(t0).TotalSeconds < 3;)
        {
            foreach (Team team in new[] { one, two, eight })
            {
                foreach (Loop loop in scalingLoops.Append(lockedLoop))
                {
                    loop.Time(team);
                }
            }
        }

        var rng = new Random(7);
        var scaling = scalingLoops.ToDictionary(l => l, _ => new Pairs());
        for (int round = 0; round < rounds; round++)
        {
            foreach (Loop loop in scalingLoops.OrderBy(_ => rng.Next()))
            {
                (double t1, double t2) = TimePair(loop, one, loop, two, oneFirst: (round & 1) == 0);
                scaling[loop].Add(t1, t2);
            }
        }

        // This VM's two vCPUs are not always two cores: for seconds at a time the host apparently runs them so that two threads
        // get no more done than one (the floor's own pairs then read ~1.0 ×). The floor pair in the same round, tens
        // of milliseconds away, tells those rounds apart, so the table also gives each loop's scaling in the rounds
        // where the machine scaled, and its scaling relative to the floor's in the same round.
        Pairs floorPairs = scaling[floor];
        int[] twoCoreRounds = [.. Enumerable.Range(0, rounds).Where(r => floorPairs.RatioAt(r) >= 1.8)];
        Console.WriteLine($"Two-thread scaling: {rounds} paired rounds of {TotalRecords:N0} records per team; ratio = 1-thread time / 2-thread time.");
        Console.WriteLine($"\"Two-core rounds\": the {twoCoreRounds.Length} rounds in which the floor itself scaled ≥ 1.8 ×.");
        Console.WriteLine();
        Console.WriteLine("| Loop | ns/record, 1 thread | ns/record, 2 threads | scaling, all rounds (median of pairs) | quartiles | pairs ≥ 1.8 × | scaling, two-core rounds (median) | ÷ floor's scaling in the same round (median) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Loop loop in scalingLoops)
        {
            Pairs p = scaling[loop];
            double twoCore = Median([.. twoCoreRounds.Select(p.RatioAt)]);
            double relative = Median([.. Enumerable.Range(0, rounds).Select(r => p.RatioAt(r) / floorPairs.RatioAt(r))]);
            Console.WriteLine(
                $"| {loop.Name} | {p.MedianFirst:F2} | {p.MedianSecond:F2} | {p.Ratio(50):F2} × | {p.Ratio(25):F2}–{p.Ratio(75):F2} | " +
                $"{p.AtLeast(1.8)} of {p.Count} | {twoCore:F2} × | {relative:F2} |");
        }

        int lockedRounds = Math.Max(10, rounds / 4); // a locked run at 8 threads takes ~30 times as long
        Console.WriteLine();
        Console.WriteLine($"Against the locked baseline: {lockedRounds} paired rounds per team; ratio = locked time / lock-free time.");
        Console.WriteLine();
        Console.WriteLine("| Threads | Loop | ns/record, locked | ns/record, lock-free | locked / lock-free (median of pairs) | quartiles | pairs ≥ 10 × |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (Team team in new[] { two, eight })
        {
            var vsLocked = lockFreeLoops.ToDictionary(l => l, _ => new Pairs());
            for (int round = 0; round < lockedRounds; round++)
            {
                foreach (Loop loop in lockFreeLoops.OrderBy(_ => rng.Next()))
                {
                    (double tLocked, double tLockFree) = TimePair(lockedLoop, team, loop, team, oneFirst: (round & 1) == 0);
                    vsLocked[loop].Add(tLocked, tLockFree);
                }
            }

            foreach (Loop loop in lockFreeLoops)
            {
                Pairs p = vsLocked[loop];
                Console.WriteLine($"| {team.Size} | {loop.Name} | {p.MedianFirst:F1} | {p.MedianSecond:F2} | {p.Ratio(50):F1} × | {p.Ratio(25):F1}–{p.Ratio(75):F1} | {p.AtLeast(10)} of {p.Count} |");
            }
        }
    }

    /// <summary>Times <paramref name="a"/> on <paramref name="teamA"/> and <paramref name="b"/> on <paramref name="teamB"/> back to back.</summary>
    private static (double A, double B) TimePair(Loop a, Team teamA, Loop b, Team teamB, bool oneFirst)
    {
        if (oneFirst)
        {
            double ta = a.Time(teamA);
            return (ta, b.Time(teamB));
        }

        double tb = b.Time(teamB);
        return (a.Time(teamA), tb);
    }

    private sealed class Loop(string name, Action<Team> run)
    {
        public string Name { get; } = name;

        /// <summary>Aggregate ns per record of one run of the loop on the team.</summary>
        public double Time(Team team)
        {
            long t0 = Stopwatch.GetTimestamp();
            run(team);
            return Stopwatch.GetElapsedTime(t0).TotalNanoseconds / TotalRecords;
        }
    }

    /// <summary>A thread team with each thread's floor ring and writer handle (created on that thread).</summary>
    private sealed class Team : IDisposable
    {
        private readonly ThreadTeam _threads;

        public Team(int size, LockFreeBatchStats handleStats)
        {
            _threads = new ThreadTeam(size);
            Floors = [.. Enumerable.Range(0, size).Select(_ => new RecordBenchmarks.FloorRing())];
            Writers = new BatchStatsWriter[size];
            _threads.Run(id => Writers[id] = handleStats.CreateWriter());
        }

        public int Size => _threads.Size;

        public int PerThread => TotalRecords / Size;

        public RecordBenchmarks.FloorRing[] Floors { get; }

        public BatchStatsWriter[] Writers { get; }

        public void Run(Action<int> work) => _threads.Run(work);

        public void Dispose() => _threads.Dispose();
    }

    /// <summary>Paired times (first, second) and their ratios first / second.</summary>
    private sealed class Pairs
    {
        private readonly List<double> _first = [], _second = [], _ratios = [];

        public int Count => _ratios.Count;

        public double MedianFirst => Quantile(_first, 50);

        public double MedianSecond => Quantile(_second, 50);

        public void Add(double first, double second)
        {
            _first.Add(first);
            _second.Add(second);
            _ratios.Add(first / second);
        }

        public double Ratio(double percent) => Quantile(_ratios, percent);

        /// <summary>The ratio of the pair added in round <paramref name="round"/>.</summary>
        public double RatioAt(int round) => _ratios[round];

        public int AtLeast(double ratio) => _ratios.Count(r => r >= ratio);
    }

    private static double Median(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : Quantile(values, 50);

    /// <summary>numpy's default (linear) percentile, by the library's own rank arithmetic.</summary>
    private static double Quantile(IReadOnlyList<double> values, double percent)
    {
        double[] sorted = [.. values.Order()];
        (int lower, int upper, double gamma) = Percentiles.Position(sorted.Length, percent);
        return Percentiles.Lerp(sorted[lower], sorted[upper], gamma);
    }
}
