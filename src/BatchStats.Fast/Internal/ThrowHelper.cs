using System;
using System.Diagnostics.CodeAnalysis;

namespace BatchStats.Fast.Internal;

/// <summary>Throws from a method of its own, so the argument checks that call it stay small (those on the record path inline).</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, object? actualValue, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, message);

    [DoesNotReturn]
    public static void ArgumentNull(string paramName) => throw new ArgumentNullException(paramName);
}
