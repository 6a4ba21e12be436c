using System;

namespace BatchStats.Fast.Tests;

/// <summary>
/// Drives a raise-to-the-maximum compare-exchange loop through its test hook, so that another reader raises the value
/// at the exact point between this reader's read and its exchange.
/// </summary>
internal static class ExchangeRace
{
    /// <summary>Raises to <paramref name="mine"/> while another reader raises to <paramref name="theirs"/> midway.</summary>
    /// <param name="raise">The raise under test.</param>
    /// <param name="setHook">Sets the hook that runs right before the compare-exchange (null: none).</param>
    /// <param name="mine">This reader's value.</param>
    /// <param name="theirs">The other reader's value, raised between this reader's read and its first exchange.</param>
    /// <returns>The exchanges this reader attempted: 1 if it lost and stopped, 2 if it lost and retried.</returns>
    public static int RaiseWithAnotherMidway<T>(Action<T> raise, Action<Action?> setHook, T mine, T theirs)
    {
        int exchanges = 0;
        setHook(() =>
        {
            if (exchanges++ == 0)
            {
                setHook(null); // the other reader's own exchange runs without the hook
                raise(theirs);
                setHook(() => exchanges++);
            }
        });
        raise(mine);
        setHook(null);
        return exchanges;
    }
}
