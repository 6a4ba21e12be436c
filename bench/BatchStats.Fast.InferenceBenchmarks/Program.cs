using System;
using BenchmarkDotNet.Running;

namespace BatchStats.Fast.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project bench/BatchStats.Fast.InferenceBenchmarks -- --filter '*'        (BenchmarkDotNet)
    // dotnet run -c Release --project bench/BatchStats.Fast.InferenceBenchmarks -- --in-loop [batches] (the record call, timed in place)
    private static void Main(string[] args)
    {
        int inLoop = Array.IndexOf(args, "--in-loop");
        if (inLoop >= 0)
        {
            InLoop.Print(inLoop + 1 < args.Length && int.TryParse(args[inLoop + 1], out int n) ? n : 20_000);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
