using System.Buffers;
using BatchStats.Fast.Internal.Kernels;

namespace BatchStats.Fast.Internal;

/// <summary>Where the reader rents its scratch spans (tests inject counting pools).</summary>
internal sealed class ReaderPools
{
    public static ReaderPools Shared { get; } = new(ArrayPool<Slot>.Shared, ArrayPool<double>.Shared, ArrayPool<SelectionKey>.Shared, ArrayPool<int>.Shared, ArrayPool<long>.Shared);

    public ReaderPools(ArrayPool<Slot> slots, ArrayPool<double> doubles, ArrayPool<SelectionKey> keys, ArrayPool<int> ints, ArrayPool<long> longs)
    {
        Slots = slots;
        Doubles = doubles;
        Keys = keys;
        Ints = ints;
        Longs = longs;
    }

    public ArrayPool<long> Longs { get; }

    public ArrayPool<int> Ints { get; }

    public ArrayPool<Slot> Slots { get; }

    public ArrayPool<double> Doubles { get; }

    public ArrayPool<SelectionKey> Keys { get; }
}
