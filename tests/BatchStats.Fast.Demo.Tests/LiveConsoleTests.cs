using System;
using System.IO;
using Microsoft.Extensions.Logging;
using Xunit;

namespace BatchStats.Fast.Demo.Tests;

/// <summary>The demo's terminal: the live frame redrawn in place, log lines above it, heights in terminal rows.</summary>
public sealed class LiveConsoleTests
{
    private const string Up2 = "\u001b[2A\u001b[J";

    [Theory]
    [InlineData("a\n", 80, 1)]
    [InlineData("\n", 80, 1)] // an empty line still takes a row
    [InlineData("a\nb\n", 80, 2)]
    [InlineData("a\r\nb\r\n", 80, 2)]
    [InlineData("0123456789\n", 10, 1)] // exactly the width: no wrap
    [InlineData("0123456789A\n", 10, 2)]
    [InlineData("0123456789012345678901\nx\n", 10, 4)]
    [InlineData("a\nb\n", 0, 2)] // an unknown width counts lines
    public void Rows_CountsWrappedLines(string text, int columns, int rows) =>
        Assert.Equal(rows, LiveConsole.Rows(text, columns));

    /// <summary>A log line erases the frame, is written, and the frame is drawn again below it; the next frame erases exactly the frame.</summary>
    [Fact]
    public void Live_LogLinesScrollAboveTheFrame()
    {
        var output = new StringWriter();
        var console = new LiveConsole(output, live: true, width: () => 80);
        console.WriteFrame("f1\nf2\n");
        console.WriteLog("log\n");
        console.WriteFrame("g1\ng2\n");
        console.EndFrames();
        console.WriteLog("after\n");
        Assert.Equal("f1\nf2\n" + Up2 + "log\nf1\nf2\n" + Up2 + "g1\ng2\n" + "after\n", output.ToString());
    }

    /// <summary>On a narrow terminal the frame's wrapped lines are counted: the redraw moves up over all of its rows.</summary>
    [Fact]
    public void Live_WrappedFrame_ErasedByItsRows()
    {
        var output = new StringWriter();
        int width = 4;
        var console = new LiveConsole(output, live: true, width: () => width);
        console.WriteFrame("abcdefghij\nk\n"); // 3 rows + 1 row at 4 columns
        width = 80; // resized: the next frame counts at the new width
        console.WriteFrame("abcdefghij\nk\n");
        console.WriteFrame("x\n");
        Assert.Equal("abcdefghij\nk\n" + "\u001b[4A\u001b[J" + "abcdefghij\nk\n" + Up2 + "x\n", output.ToString());
    }

    /// <summary>Redirected output: frames and log lines appended in order, no escape sequence, the width never asked.</summary>
    [Fact]
    public void NotLive_AppendsWithoutEscapes()
    {
        var output = new StringWriter();
        var console = new LiveConsole(output, live: false, width: () => throw new IOException("not a terminal"));
        console.WriteFrame("f\n");
        console.WriteLog("log\n");
        console.WriteFrame("g\n");
        Assert.Equal("f\nlog\ng\n", output.ToString());
    }

    /// <summary>The logger writes the console logger's single-line layout through the live console, after the factory's filters.</summary>
    [Fact]
    public void Logger_SingleLineLayout_ThroughTheLiveConsole()
    {
        var output = new StringWriter();
        var console = new LiveConsole(output, live: false, width: () => 80);
        using (ILoggerFactory factory = LoggerFactory.Create(b => b
            .AddProvider(new LiveConsoleLoggerProvider(console))
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Noisy", LogLevel.Warning)))
        {
            static void Log(ILogger logger, LogLevel level, int id, string message, Exception? exception = null) =>
                logger.Log(level, new EventId(id), message, exception, static (m, _) => m);
            Log(factory.CreateLogger("BatchStats.Fast.demo"), LogLevel.Error, 2, "alert queue_length");
            Log(factory.CreateLogger("Noisy.Requests"), LogLevel.Information, 1, "request");
            Log(factory.CreateLogger("A"), LogLevel.Warning, 0, "with exception", new InvalidOperationException("boom"));
            Log(factory.CreateLogger("A"), LogLevel.Debug, 0, "below the minimum");
        }

        string nl = Environment.NewLine;
        Assert.Equal(
            $"fail: BatchStats.Fast.demo[2] alert queue_length{nl}warn: A[0] with exception{nl}System.InvalidOperationException: boom{nl}",
            output.ToString());
    }
}
