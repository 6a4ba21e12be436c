using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;

namespace BatchStats.Fast.Tests;

/// <summary>Long-lived threads, one per writer, each running the actions handed to it, one at a time, in order.</summary>
internal sealed class WriterThreads : IDisposable
{
    private readonly BlockingCollection<(Action Action, StepDone Done)>[] _queues;
    private readonly Thread[] _threads;

    public WriterThreads(int count)
    {
        _queues = Enumerable.Range(0, count).Select(_ => new BlockingCollection<(Action, StepDone)>()).ToArray();
        _threads = _queues.Select(q => new Thread(() =>
        {
            foreach ((Action action, StepDone done) in q.GetConsumingEnumerable())
            {
                try
                {
                    action();
                }
                catch (Exception e)
                {
                    done.Error = e;
                }

                done.Signal.Set();
            }
        })
        { IsBackground = true }).ToArray();
        Array.ForEach(_threads, t => t.Start());
    }

    public void Run(int writer, Action action)
    {
        var done = new StepDone();
        _queues[writer].Add((action, done));
        done.Signal.Wait();
        done.Signal.Dispose();
        if (done.Error is { } e)
        {
            throw new InvalidOperationException("a writer step failed", e);
        }
    }

    /// <summary>Runs <paramref name="action"/> on a new thread and waits: its per-thread state (ring caches, counters) starts empty.</summary>
    public static void OnFreshThread(Action action)
    {
        using var thread = new WriterThreads(1);
        thread.Run(0, action);
    }

    public void Dispose()
    {
        foreach (var q in _queues)
        {
            q.CompleteAdding();
        }

        Array.ForEach(_threads, t => t.Join());
        foreach (var q in _queues)
        {
            q.Dispose();
        }
    }
}

/// <summary>One step's end: set when the writer thread has run it, with the exception it threw, if any.</summary>
internal sealed class StepDone
{
    public ManualResetEventSlim Signal { get; } = new();

    public Exception? Error { get; set; }
}
