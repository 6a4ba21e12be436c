using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast.Tests;

/// <summary>An <see cref="ILogger"/> that keeps every entry in order, for the monitor's tests.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    /// <summary>The entries so far, in order, removed.</summary>
    public List<(LogLevel Level, string Message, Exception? Exception)> Take()
    {
        var taken = new List<(LogLevel, string, Exception?)>();
        while (Entries.TryDequeue(out var e))
        {
            taken.Add(e);
        }

        return taken;
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception), exception));
}
