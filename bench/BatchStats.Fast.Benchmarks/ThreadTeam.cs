using System;
using System.Threading;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// N long-lived worker threads that run one action together per <see cref="Run"/> call (no thread start in the
/// measured region). Waiting threads block without spinning, so an idle coordinator or worker never steals cycles
/// from a measuring one (on SMT siblings a spinning waiter slows its neighbour).
/// </summary>
internal sealed class ThreadTeam : IDisposable
{
    private readonly Thread[] _threads;
    private readonly ManualResetEventSlim[] _go;
    private readonly ManualResetEventSlim _done = new(false, spinCount: 1);
    private Action<int>? _work;
    private int _running;
    private volatile bool _stopping;

    public ThreadTeam(int size)
    {
        _threads = new Thread[size];
        _go = new ManualResetEventSlim[size];
        for (int i = 0; i < size; i++)
        {
            int id = i;
            _go[i] = new ManualResetEventSlim(false, spinCount: 1);
            _threads[i] = new Thread(() => Loop(id)) { IsBackground = true, Name = $"bench-writer-{id}" };
            _threads[i].Start();
        }
    }

    public int Size => _threads.Length;

    public void Run(Action<int> work)
    {
        _work = work;
        _done.Reset();
        Volatile.Write(ref _running, _threads.Length); // release: workers see the work before their start signal
        foreach (ManualResetEventSlim go in _go)
        {
            go.Set();
        }

        _done.Wait();
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (ManualResetEventSlim go in _go)
        {
            go.Set();
        }

        foreach (Thread t in _threads)
        {
            t.Join();
        }

        foreach (ManualResetEventSlim go in _go)
        {
            go.Dispose();
        }

        _done.Dispose();
    }

    private void Loop(int id)
    {
        while (true)
        {
            _go[id].Wait();
            _go[id].Reset();
            if (_stopping)
            {
                return;
            }

            _work!(id);
            if (Interlocked.Decrement(ref _running) == 0) // full fence: the last worker to finish wakes the coordinator
            {
                _done.Set();
            }
        }
    }
}
