using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace BatchStats.Fast.Demo;

/// <summary>
/// One worker thread of the server: takes a dynamic batch from the queue, rejects malformed requests, runs the rest
/// through the model in one <c>InferenceSession.Run</c> and records the batch through its own
/// <see cref="BatchStatsWriter"/> (made on this thread, as a writer must be).
/// </summary>
/// <remarks>
/// <para>Dynamic batching: the worker blocks for a first request, then takes more until the batch is full or the
/// oldest request has waited <c>maxWait</c> since it arrived (a deadline that has passed when a backlog exists, so
/// under load batches are full at once). While the queue is empty it
/// checks again every millisecond (<c>Thread.Sleep(1)</c>), so the wait has a 1 ms resolution. An idle worker
/// blocks on <see cref="ChannelReader{T}.WaitToReadAsync"/> and takes without a lock (<see cref="ChannelReader{T}.TryRead"/>).</para>
/// <para>What is recorded, per batch of n valid requests: processing time = the <c>Run</c> call; queue time = the
/// oldest request's wait from arrival to the start of <c>Run</c>; latency = the oldest request's arrival to the end
/// of <c>Run</c>; queue length = requests still waiting when the batch closed. Each malformed request (a NaN or
/// infinite feature) is one <c>RecordError</c>; a batch of only malformed requests records only errors.</para>
/// <para>Overhead sampling: every 17th batch times its record calls (<see cref="RecordingOverhead.IsSampled"/>).</para>
/// </remarks>
public sealed class InferenceWorker
{
    private readonly ChannelReader<Request> _queue;
    private readonly LockFreeBatchStats _stats;
    private readonly InferenceModel _model;
    private readonly int _maxBatch;
    private readonly long _maxWait;
    private readonly CancellationToken _abandon;
    private readonly Thread _thread;
    private long _served;
    private long _rejected;

    /// <param name="id">Names the thread.</param>
    /// <param name="queue">Where requests come from.</param>
    /// <param name="stats">The tracker to record into.</param>
    /// <param name="model">The shared model.</param>
    /// <param name="maxBatch">Largest batch.</param>
    /// <param name="maxWait">How long the oldest request of a batch may wait for the batch to fill.</param>
    /// <param name="abandon">Stops the worker even with requests left (after the queue completes it drains otherwise).</param>
    public InferenceWorker(int id, ChannelReader<Request> queue, LockFreeBatchStats stats, InferenceModel model, int maxBatch, TimeSpan maxWait, CancellationToken abandon)
    {
        _queue = queue;
        _stats = stats;
        _model = model;
        _maxBatch = maxBatch;
        _maxWait = (long)(maxWait.TotalSeconds * Stopwatch.Frequency);
        _abandon = abandon;
        _thread = new Thread(Run) { IsBackground = true, Name = $"inference worker {id}" };
    }

    /// <summary>Requests run through the model (read after <see cref="Join"/> for the final count).</summary>
    public long Served => Volatile.Read(ref _served); // acquire: pairs with the worker's release store

    /// <summary>Malformed requests rejected.</summary>
    public long Rejected => Volatile.Read(ref _rejected); // acquire: pairs with the worker's release store

    /// <summary>This worker's record-call timings and inference time.</summary>
    public RecordingOverhead Overhead { get; } = new();

    /// <summary>Set once the worker has warmed up (one run of every batch size) and waits for requests.</summary>
    public ManualResetEventSlim Ready { get; } = new();

    /// <summary>Starts the thread.</summary>
    public void Start() => _thread.Start();

    /// <summary>Waits for the thread to end (the queue completed and drained, or abandoned).</summary>
    public void Join() => _thread.Join();

    private void Run()
    {
        BatchStatsWriter writer = _stats.CreateWriter();
        using ModelRunner runner = _model.CreateRunner(_maxBatch);
        var batch = new Request[_maxBatch];
        long batches = 0;
        for (int rows = 1; rows <= _maxBatch; rows++)
        {
            runner.Run(rows); // warm-up before traffic, as a server does: ONNX Runtime's first run of each shape, the JIT
        }

        Ready.Set();
        try
        {
            while (!_abandon.IsCancellationRequested && Take(out Request? first)) // abandoned: leave the backlog (Take sees the token only when the queue is empty)
            {
                int taken = Fill(batch, first);
                int queueLength = _queue.Count;
                int valid = 0;
                for (int i = 0; i < taken; i++)
                {
                    if (IsMalformed(batch[i].Features))
                    {
                        continue; // rejected, counted below
                    }

                    batch[i].Features.CopyTo(runner.InputRow(valid++));
                }

                int rejected = taken - valid;
                long start = Stopwatch.GetTimestamp();
                if (valid > 0)
                {
                    runner.Run(valid);
                }

                long done = Stopwatch.GetTimestamp();
                if (valid > 0)
                {
                    Overhead.AddRun(done - start);
                }

                var sample = new BatchSample(
                    ProcessingTime: Seconds(done - start),
                    BatchSize: valid,
                    QueueTime: Seconds(start - first.Arrived),
                    Latency: Seconds(done - first.Arrived),
                    QueueLength: queueLength,
                    Timestamp: done);
                if (RecordingOverhead.IsSampled(batches++))
                {
                    long t0 = Stopwatch.GetTimestamp();
                    long t1 = Stopwatch.GetTimestamp();
                    Record(writer, sample, valid, rejected);
                    long t2 = Stopwatch.GetTimestamp();
                    Overhead.AddRecordCalls(t1 - t0, t2 - t1);
                }
                else
                {
                    Record(writer, sample, valid, rejected);
                }

                Volatile.Write(ref _served, _served + valid); // release: single writer; Served reads with acquire
                Volatile.Write(ref _rejected, _rejected + rejected); // release: as above
                Array.Clear(batch, 0, taken);
            }
        }
        catch (OperationCanceledException)
        {
            // abandoned with requests left (a stop that does not wait for the backlog)
        }
    }

    private static void Record(BatchStatsWriter writer, in BatchSample sample, int valid, int rejected)
    {
        if (valid > 0)
        {
            writer.Update(sample);
        }

        if (rejected > 0)
        {
            writer.RecordError(rejected);
        }
    }

    private int Fill(Request[] batch, Request first)
    {
        batch[0] = first;
        int n = 1;
        long deadline = first.Arrived + _maxWait;
        while (n < batch.Length)
        {
            if (_queue.TryRead(out Request? next))
            {
                batch[n++] = next;
            }
            else if (Stopwatch.GetTimestamp() < deadline && !_queue.Completion.IsCompleted)
            {
                Thread.Sleep(1); // wait for more; the oldest request's deadline bounds the wait
            }
            else
            {
                break;
            }
        }

        return n;
    }

    /// <summary>The first request of a batch: at once when one is queued, else blocks until one is (false: the queue completed and is empty).</summary>
    private bool Take([NotNullWhen(true)] out Request? first)
    {
        while (!_queue.TryRead(out first))
        {
            ValueTask<bool> more = _queue.WaitToReadAsync(_abandon);
            if (!(more.IsCompletedSuccessfully ? more.Result : more.AsTask().GetAwaiter().GetResult()))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A feature that is NaN or infinite makes a request malformed.</summary>
    private static bool IsMalformed(float[] features)
    {
        foreach (float f in features)
        {
            if (!float.IsFinite(f))
            {
                return true;
            }
        }

        return false;
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
