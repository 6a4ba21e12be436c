using System;
using System.Globalization;

namespace BatchStats.Fast.Demo;

/// <summary>Command-line options of the demo (plain parsing; see <see cref="Usage"/>).</summary>
public sealed record DemoOptions
{
    public const string Usage = """
        Simulated inference server recorded with BatchStats.Fast.

        usage: dotnet run -c Release --project samples/InferenceServer -- [options]

          --workers N      worker tasks taking dynamic batches (default 4)
          --duration S     seconds to run before the final summary (default 20)
          --port P         HTTP port on 127.0.0.1 for /, /stats and /metrics (default 5080; 0 = any free port)
          --rate R         mean request arrivals per second (default 1500)
          --serve          keep serving after the duration until Ctrl+C
          --help           this text
        """;

    public int Workers { get; init; } = 4;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public int Port { get; init; } = 5080;

    public double ArrivalRate { get; init; } = 1500;

    public int MaxBatch { get; init; } = 32;

    public bool Serve { get; init; }

    public bool Help { get; init; }

    public bool LiveConsole { get; init; } = true;

    public static DemoOptions Parse(string[] args)
    {
        var options = new DemoOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--workers" => options with { Workers = Positive(int.Parse(Next(), CultureInfo.InvariantCulture), "--workers") },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Positive(double.Parse(Next(), CultureInfo.InvariantCulture), "--duration")) },
                "--port" => options with { Port = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--rate" => options with { ArrivalRate = Positive(double.Parse(Next(), CultureInfo.InvariantCulture), "--rate") },
                "--serve" => options with { Serve = true },
                "--help" or "-h" => options with { Help = true },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }

    private static T Positive<T>(T value, string name)
        where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new ArgumentException($"{name} must be positive");
}
