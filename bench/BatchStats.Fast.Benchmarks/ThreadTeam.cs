using System;
using System.Threading;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// N long-lived worker threads that run one action together per <see cref="Run"/> call (no thread start in the
/// measured region): release, every worker runs its share, wait for all.
/// </summary>
internal sealed class ThreadTeam : IDisposable
{
    private readonly Thread[] _threads;
    private readonly Barrier _start;
    private readonly Barrier _end;
    private Action<int>? _work;
    private volatile bool _stopping;

    public ThreadTeam(int size)
    {
        _start = new Barrier(size + 1);
        _end = new Barrier(size + 1);
        _threads = new Thread[size];
        for (int i = 0; i < size; i++)
        {
            int id = i;
            _threads[i] = new Thread(() => Loop(id)) { IsBackground = true, Name = $"bench-writer-{id}" };
            _threads[i].Start();
        }
    }

    public int Size => _threads.Length;

    public void Run(Action<int> work)
    {
        _work = work;
        _start.SignalAndWait();
        _end.SignalAndWait();
    }

    public void Dispose()
    {
        _stopping = true;
        _start.SignalAndWait();
        foreach (Thread t in _threads)
        {
            t.Join();
        }

        _start.Dispose();
        _end.Dispose();
    }

    private void Loop(int id)
    {
        while (true)
        {
            _start.SignalAndWait();
            if (_stopping)
            {
                return;
            }

            _work!(id);
            _end.SignalAndWait();
        }
    }
}
