using System;
using System.Numerics;

namespace BatchStats.Fast.Internal;

/// <summary>
/// The incremental reader's copy of one ring's part of the window: a contiguous run per field, in record order,
/// that loses samples at the front and gains them at the back. Reader-owned; writers never see it.
/// </summary>
internal sealed class RingMirror
{
    private const int MinCapacity = 32;

    private long[] _timestamps = [];
    private double[] _processing = [];
    private double[] _queue = [];
    private double[] _latency = [];
    private int[] _batchSizes = [];
    private int[] _queueLengths = [];
    private int _offset;

    public RingMirror(WriterRing ring) => Ring = ring;

    /// <summary>The ring mirrored.</summary>
    public WriterRing Ring { get; private set; }

    /// <summary>The ring's head this mirror has read up to: the next sequence to copy.</summary>
    public long Head { get; set; }

    /// <summary>Samples of the ring in the window.</summary>
    public int Count { get; private set; }

    public long LastTimestamp => _timestamps[_offset + Count - 1];

    public ReadOnlySpan<double> Processing => _processing.AsSpan(_offset, Count);

    public ReadOnlySpan<double> Queue => _queue.AsSpan(_offset, Count);

    public ReadOnlySpan<double> Latency => _latency.AsSpan(_offset, Count);

    public ReadOnlySpan<int> BatchSizes => _batchSizes.AsSpan(_offset, Count);

    public ReadOnlySpan<int> QueueLengths => _queueLengths.AsSpan(_offset, Count);

    public long TimestampAt(int index) => _timestamps[_offset + index];

    /// <summary>Empties the mirror and points it at <paramref name="ring"/>, read up to <paramref name="head"/>.</summary>
    public void Reset(WriterRing ring, long head)
    {
        Ring = ring;
        Head = head;
        _offset = 0;
        Count = 0;
    }

    /// <summary>Forgets the <paramref name="count"/> oldest samples.</summary>
    public void DropFront(int count)
    {
        _offset += count;
        Count -= count;
        if (Count == 0)
        {
            _offset = 0;
        }
    }

    /// <summary>Appends samples (newer than every sample held), reading -0.0 as +0.0 like the full reader.</summary>
    public void Append(ReadOnlySpan<Slot> samples)
    {
        if (samples.IsEmpty)
        {
            return;
        }

        EnsureRoom(samples.Length);
        int at = _offset + Count;
        foreach (ref readonly Slot s in samples)
        {
            _timestamps[at] = s.Timestamp;
            _processing[at] = s.ProcessingTime + 0.0;
            _queue[at] = s.QueueTime + 0.0;
            _latency[at] = s.Latency + 0.0;
            _batchSizes[at] = s.BatchSize;
            _queueLengths[at] = s.QueueLength;
            at++;
        }

        Count += samples.Length;
    }

    /// <summary>
    /// Makes room for <paramref name="extra"/> samples at the back: moves the run to the front when at least half the
    /// arrays would stay free (so moves cost O(1) per appended sample), otherwise reallocates to twice what is needed
    /// (also shrinking arrays that became far larger than the run, so an idle ring does not keep a big mirror).
    /// </summary>
    private void EnsureRoom(int extra)
    {
        int needed = Count + extra;
        int capacity = _timestamps.Length;
        if (_offset + needed <= capacity)
        {
            return;
        }

        if (2 * needed <= capacity && capacity <= 8 * Math.Max(MinCapacity, needed))
        {
            Move(_timestamps, _timestamps);
            Move(_processing, _processing);
            Move(_queue, _queue);
            Move(_latency, _latency);
            Move(_batchSizes, _batchSizes);
            Move(_queueLengths, _queueLengths);
        }
        else
        {
            int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinCapacity, 2 * needed));
            _timestamps = Moved(_timestamps, size);
            _processing = Moved(_processing, size);
            _queue = Moved(_queue, size);
            _latency = Moved(_latency, size);
            _batchSizes = Moved(_batchSizes, size);
            _queueLengths = Moved(_queueLengths, size);
        }

        _offset = 0;
    }

    private void Move<T>(T[] from, T[] to) => from.AsSpan(_offset, Count).CopyTo(to); // CopyTo handles the overlap

    private T[] Moved<T>(T[] from, int size)
    {
        T[] to = GC.AllocateUninitializedArray<T>(size);
        Move(from, to);
        return to;
    }
}
