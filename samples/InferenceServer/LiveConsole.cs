using System;
using System.IO;

namespace BatchStats.Fast.Demo;

/// <summary>
/// The demo's terminal: a live frame redrawn in place at the bottom, and log lines that scroll above it.
/// </summary>
/// <remarks>
/// Why: the frame is redrawn by moving the cursor up over its own lines and clearing below. A log line written
/// between two frames (an alert raised or cleared) shifted that count, so the next redraw left stale lines of the old
/// frame above the new one and erased the log line itself. Every write goes through here under one lock: a log line
/// first erases the frame, then is written, then the frame is drawn again below it. When the output is not a terminal
/// (<see cref="Console.IsOutputRedirected"/>), frames and log lines are appended in order with no escape sequence.
/// The frame's height is counted in terminal rows, not lines: a line wider than the terminal wraps onto more rows, and
/// counting lines left most of every frame on an 80-column terminal.
/// </remarks>
/// <param name="output">Where everything is written (the console's output).</param>
/// <param name="live">Redraw the frame in place (the output is a terminal).</param>
/// <param name="width">The terminal's width in columns, read at each frame (asked only when <paramref name="live"/>).</param>
internal sealed class LiveConsole(TextWriter output, bool live, Func<int> width)
{
    private readonly object _gate = new();
    private string _frame = string.Empty;
    private int _frameRows; // the frame on screen now, in terminal rows; 0 when there is none to redraw

    /// <summary>Draws <paramref name="frame"/> (whole lines, each ending with a newline) in place of the previous one.</summary>
    public void WriteFrame(string frame)
    {
        lock (_gate)
        {
            Erase();
            output.Write(frame);
            output.Flush();
            _frame = frame;
            _frameRows = live ? Rows(frame, width()) : 0;
        }
    }

    /// <summary>Writes <paramref name="lines"/> (whole lines) above the frame, which stays at the bottom.</summary>
    public void WriteLog(string lines)
    {
        lock (_gate)
        {
            int frameRows = _frameRows;
            Erase();
            output.Write(lines);
            if (frameRows > 0)
            {
                output.Write(_frame);
            }

            output.Flush();
            _frameRows = frameRows;
        }
    }

    /// <summary>Leaves the last frame on screen as it is: later writes go below it (the final summary).</summary>
    public void EndFrames()
    {
        lock (_gate)
        {
            _frameRows = 0;
        }
    }

    /// <summary>The terminal rows that <paramref name="text"/> (whole lines) takes at <paramref name="columns"/> columns.</summary>
    internal static int Rows(string text, int columns)
    {
        string[] lines = text.Split('\n');
        int rows = 0;
        for (int i = 0; i < lines.Length - 1; i++) // the piece after the last newline is empty
        {
            int length = lines[i].TrimEnd('\r').Length;
            rows += columns > 0 ? Math.Max(1, (length + columns - 1) / columns) : 1;
        }

        return rows;
    }

    private void Erase()
    {
        if (_frameRows > 0)
        {
            output.Write($"\u001b[{_frameRows}A\u001b[J"); // up over the frame, clear to the end of the screen
            _frameRows = 0;
        }
    }
}
