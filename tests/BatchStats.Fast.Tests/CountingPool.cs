using System.Buffers;

namespace BatchStats.Fast.Tests;

/// <summary>An array pool that counts its rentals and returns (each rental a new array), to see which scratch a read takes.</summary>
internal sealed class CountingPool<T> : ArrayPool<T>
{
    public int Rented { get; private set; }

    public int Returned { get; private set; }

    public override T[] Rent(int minimumLength)
    {
        Rented++;
        return new T[minimumLength];
    }

    public override void Return(T[] array, bool clearArray = false) => Returned++;
}
