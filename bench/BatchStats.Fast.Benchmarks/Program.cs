using BenchmarkDotNet.Running;

namespace BatchStats.Fast.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project bench/BatchStats.Fast.Benchmarks -- --filter '*'
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
