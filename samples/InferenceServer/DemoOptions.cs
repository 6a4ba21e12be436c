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
          --workers N      worker threads, each running one batch at a time (1 to 256; default: the number of cores)
          --max-batch N    largest dynamic batch (1 to 1024; default 64; each worker runs every size once at start)
          --max-wait MS    how long a batch's oldest request may wait for the batch to fill (0 to 60000; default 2;
                           1 ms resolution)
          --rate R         steady request arrivals per second, Poisson (up to 10000000; default: 40 % of the capacity
                           measured at start)
          --bad-share X    share of requests with a NaN feature, rejected and counted as errors (0 to 1; default 0.0005)
          --duration S     seconds to run before the final summary (up to 4000000; default 20)
          --port P         HTTP port on 127.0.0.1 for /, /stats and /metrics (0 to 65535; default 5080; 0 = any free port)
          --serve          keep serving after the duration until Ctrl+C or SIGTERM
          --help           this text

        Load profile: the steady rate ±15 % over 20 s, and from second 8 to 12 of every 30 a spike to 3.5 × it
        (1.4 × the measured capacity at the default rate): a backlog builds, alerts fire, the backlog drains, alerts clear.
        Arrivals that find a backlog of 10 s of the steady rate (at least 100,000, at most 10,000,000 requests) are shed
        and counted, so a rate far above capacity cannot exhaust memory.
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
            string name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            options = name switch
            {
                "--model" => options with { ModelPath = Next() },
                "--workers" => options with { Workers = Whole(name, Next(), 1, 256) },
                "--max-batch" => options with { MaxBatch = Whole(name, Next(), 1, 1024) }, // the warm-up runs every size: its time grows with the square
                "--max-wait" => options with { MaxWait = TimeSpan.FromMilliseconds(Number(name, Next(), 0, 60_000, zero: true)) },
                "--rate" => options with { ArrivalRate = Number(name, Next(), 0, 10_000_000, zero: false) },
                "--bad-share" => options with { BadShare = Number(name, Next(), 0, 1, zero: true) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Number(name, Next(), 0, 4_000_000, zero: false)) }, // a timer's longest wait is about 49.7 days
                "--port" => options with { Port = Whole(name, Next(), 0, 65_535) },
                "--serve" => options with { Serve = true },
                "--help" or "-h" => options with { Help = true },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }

        return options;
    }

    private static int Whole(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number from {min} to {max}; it was '{text}'"));

    private static double Number(string name, string text, double min, double max, bool zero) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && (zero ? value >= min : value > min) && value <= max
            ? value
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} must be a number {(zero ? "from" : "above")} {min} {(zero ? "to" : "and at most")} {max}; it was '{text}'"));
}
