using System;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast.Demo;

/// <summary>
/// Logs through <see cref="LiveConsole.WriteLog"/>, one line per entry in the console logger's single-line layout
/// (<c>info: Category[EventId] message</c>, an exception on the lines after it), so log lines never break the live frame.
/// </summary>
internal sealed class LiveConsoleLoggerProvider(LiveConsole console) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(console, categoryName);

    public void Dispose()
    {
    }

    internal static string Format(LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        string tag = level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
        string line = $"{tag}: {category}[{eventId.Id}] {message}{Environment.NewLine}";
        return exception is null ? line : $"{line}{exception}{Environment.NewLine}";
    }

    private sealed class Logger(LiveConsole console, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None; // the factory's filters decide the rest

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                console.WriteLog(Format(logLevel, category, eventId, formatter(state, exception), exception));
            }
        }
    }
}
