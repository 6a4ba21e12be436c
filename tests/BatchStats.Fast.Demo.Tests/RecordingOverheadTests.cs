using System.Linq;
using Xunit;

namespace BatchStats.Fast.Demo.Tests;

/// <summary>The demo's overhead sample: which batches it times and how it combines them.</summary>
public sealed class RecordingOverheadTests
{
    private const int BinChunk = 64; // the library's binning chunk (WriterRing.BinChunk): the record that makes Head a multiple of it bins

    [Fact]
    public void Sample_MeetsEveryPositionInTheBinningChunkAlike()
    {
        long batches = (long)BinChunk * RecordingOverhead.SampleEvery * 4;
        int[] perPosition = new int[BinChunk];
        for (long batch = 0; batch < batches; batch++)
        {
            if (RecordingOverhead.IsSampled(batch))
            {
                perPosition[(batch + 1) % BinChunk]++; // the worker's ring Head after this batch's Update
            }
        }

        Assert.All(perPosition, n => Assert.Equal(4, n)); // every 16th batch would leave position 0 (the binning record) at 0
        Assert.Equal(batches / RecordingOverhead.SampleEvery, perPosition.Sum());
    }

    [Fact]
    public void Combine_LeavesOutInterruptedSamples_AndSubtractsTheClockRead()
    {
        var worker = new RecordingOverhead();
        long tenMicroseconds = System.Diagnostics.Stopwatch.Frequency / 100_000;
        worker.AddRecordCalls(clock: 3, calls: 10);
        worker.AddRecordCalls(clock: 5, calls: 9);
        worker.AddRecordCalls(clock: 1, calls: tenMicroseconds + 1); // interrupted: left out
        worker.AddRun(1_000);
        worker.AddRun(3_000);

        (double ns, double share, long samples) = RecordingOverhead.Combine([worker]);

        double tick = 1e9 / System.Diagnostics.Stopwatch.Frequency;
        Assert.Equal(2, samples);
        Assert.Equal(5.5 * tick, ns, 9); // ((10 - 3) + (9 - 5)) / 2 ticks
        Assert.Equal(5.5 / 2_000, share, 12);
        Assert.Contains(" 1 interrupted ones left out", RecordingOverhead.Detail([worker]), System.StringComparison.Ordinal);
    }

    [Fact]
    public void Line_NamesTheCaseWithoutASampleOrWithoutAnInference()
    {
        var worker = new RecordingOverhead();
        Assert.Equal("stats overhead: no batch was sampled", RecordingOverhead.Line([worker]));

        worker.AddRecordCalls(clock: 3, calls: 13); // a batch whose requests were all rejected: RecordError, no Run
        string noRun = RecordingOverhead.Line([worker]);
        Assert.StartsWith("stats overhead: ", noRun, System.StringComparison.Ordinal);
        Assert.EndsWith(" ns per batch (no inference ran to compare with)", noRun, System.StringComparison.Ordinal); // it read "(0.000% of mean inference time)"

        worker.AddRun(1_000);
        Assert.EndsWith("% of mean inference time)", RecordingOverhead.Line([worker]), System.StringComparison.Ordinal);
    }
}
