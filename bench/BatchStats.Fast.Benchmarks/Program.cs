using System;
using System.Linq;
using BenchmarkDotNet.Running;

namespace BatchStats.Fast.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --filter '*'   (BenchmarkDotNet suites)
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --quick         (side-by-side table, < 2 min)
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --tail [seconds] (writer tail latency)
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --paired [rounds]   (record ratios as paired rounds)
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --paired-checks [rounds]   (writer-handle thread checks)
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --churn [threads]   (registration latency under thread churn)
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --laps [seconds]   (reader copies lapped by a writer)
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --first-lap   (page faults in a new ring's first lap)
    private static void Main(string[] args)
    {
        if (args.Contains("--quick"))
        {
            QuickMode.Run();
            return;
        }

        int tail = Array.IndexOf(args, "--tail");
        if (tail >= 0)
        {
            int seconds = tail + 1 < args.Length && int.TryParse(args[tail + 1], out int s) ? s : 10;
            TailLatency.Print(TimeSpan.FromSeconds(seconds), 1000);
            return;
        }

        if (args.Contains("--first-lap"))
        {
            FirstLap.Print();
            return;
        }

        int laps = Array.IndexOf(args, "--laps");
        if (laps >= 0)
        {
            Laps.Print(laps + 1 < args.Length && double.TryParse(args[laps + 1], out double sec) ? sec : 5);
            return;
        }

        int churn = Array.IndexOf(args, "--churn");
        if (churn >= 0)
        {
            Churn.Print(churn + 1 < args.Length && int.TryParse(args[churn + 1], out int n) ? n : 2000);
            return;
        }

        int checks = Array.IndexOf(args, "--paired-checks");
        if (checks >= 0)
        {
            int rounds = checks + 1 < args.Length && int.TryParse(args[checks + 1], out int r) ? r : 100;
            ThreadChecks.Print(rounds);
            return;
        }

        int paired = Array.IndexOf(args, "--paired");
        if (paired >= 0)
        {
            int rounds = paired + 1 < args.Length && int.TryParse(args[paired + 1], out int r) ? r : 100;
            Paired.Print(rounds);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
