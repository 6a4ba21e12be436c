using System;
using System.Globalization;

namespace BatchStats.Fast.Demo;

/// <summary>Command-line options of the demo (plain parsing; see <see cref="Usage"/>).</summary>
public sealed record DemoOptions
{
    public const string Usage = """
        An inference server running an ONNX model with ONNX Runtime, recorded with BatchStats.Fast.

        usage: dotnet run -c Release --project samples/InferenceServer -- [options]

          --model PATH     ONNX model with one float input [N, F] and one float output [N, C], N dynamic
                           (default: the committed 64 -> 384 -> 384 -> 384 -> 10 MLP, model/mlp.onnx)
          --workers N      worker threads, each running one batch at a time (default: the number of cores)
          --max-batch N    largest dynamic batch (default 64)
          --max-wait MS    how long a batch's oldest request may wait for the batch to fill (default 2; 1 ms resolution)
          --rate R         steady request arrivals per second, Poisson (default: 40 % of the capacity measured at start)
          --bad-share X    share of requests with a NaN feature, rejected and counted as errors (default 0.0005)
          --duration S     seconds to run before the final summary (default 20)
          --port P         HTTP port on 127.0.0.1 for /, /stats and /metrics (default 5080; 0 = any free port)
          --serve          keep serving after the duration until Ctrl+C or SIGTERM
          --help           this text

        Load profile: the steady rate ±15 % over 20 s, and from second 8 to 12 of every 30 a spike to 3.5 × it
        (1.4 × the measured capacity at the default rate): a backlog builds, alerts fire, the backlog drains, alerts clear.
        """;

    public string? ModelPath { get; init; }

    public int Workers { get; init; } = Environment.ProcessorCount;

    public int MaxBatch { get; init; } = 64;

    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Steady arrivals per second; null = 40 % of the capacity measured at start.</summary>
    public double? ArrivalRate { get; init; }

    public double BadShare { get; init; } = 0.0005;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public int Port { get; init; } = 5080;

    public bool Serve { get; init; }

    public bool Help { get; init; }

    public static DemoOptions Parse(string[] args)
    {
        var options = new DemoOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--model" => options with { ModelPath = Next() },
                "--workers" => options with { Workers = Positive(int.Parse(Next(), CultureInfo.InvariantCulture), "--workers") },
                "--max-batch" => options with { MaxBatch = Positive(int.Parse(Next(), CultureInfo.InvariantCulture), "--max-batch") },
                "--max-wait" => options with { MaxWait = TimeSpan.FromMilliseconds(NonNegative(double.Parse(Next(), CultureInfo.InvariantCulture), "--max-wait")) },
                "--rate" => options with { ArrivalRate = Positive(double.Parse(Next(), CultureInfo.InvariantCulture), "--rate") },
                "--bad-share" => options with { BadShare = Share(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Positive(double.Parse(Next(), CultureInfo.InvariantCulture), "--duration")) },
                "--port" => options with { Port = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--serve" => options with { Serve = true },
                "--help" or "-h" => options with { Help = true },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }

    private static T Positive<T>(T value, string name)
        where T : System.Numerics.INumber<T> =>
        T.IsFinite(value) && value > T.Zero ? value : throw new ArgumentException($"{name} must be a positive number");

    private static double NonNegative(double value, string name) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ArgumentException($"{name} must be a non-negative number");

    private static double Share(double value) =>
        value is >= 0 and <= 1 ? value : throw new ArgumentException("--bad-share must be between 0 and 1");
}
