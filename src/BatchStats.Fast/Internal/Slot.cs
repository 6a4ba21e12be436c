using System.Runtime.InteropServices;

namespace BatchStats.Fast.Internal;

/// <summary>One recorded sample as stored in a writer ring (40 bytes, no padding holes).</summary>
/// <remarks>Mutable struct written field by field by the ring's owner: do not make readonly. The binning pass
/// (<see cref="RingHistograms.RecordRange"/>) loads the three times and the two ints after them as one 32-byte vector: keep
/// them in this order.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal struct Slot
{
    public long Timestamp;
    public double ProcessingTime;
    public double QueueTime;
    public double Latency;
    public int BatchSize;
    public int QueueLength;
}
