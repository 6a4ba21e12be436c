using System;
using System.Runtime.CompilerServices;

namespace BatchStats.Fast.Internal;

/// <summary>The bad-input rules (docs/design.md, "Bad input"), shared by every record path.</summary>
internal static class SampleValidation
{
    /// <summary>True for a finite, non-negative time (false for NaN, ±∞ and negatives).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsValidTime(double seconds) => seconds >= 0 && seconds <= double.MaxValue;

    /// <summary>Every field valid? The hot paths call the slow describer only when this fails.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsValid(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp) =>
        IsValidFast(processingTime, batchSize, queueTime, latency, queueLength, timestamp) || IsValidSlow(processingTime, batchSize, queueTime, latency, queueLength, timestamp);

    /// <summary>Every field valid on integer bits (rejects -0.0, which <see cref="IsValidSlow"/> accepts); Timestamp 0 allowed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsValidFast(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp) =>
        TimesAndCountsValid(processingTime, batchSize, queueTime, latency, queueLength) && timestamp >= 0;

    /// <summary>The same rules with IEEE comparisons (accepts -0.0); out of line, for the rare path where the fast check failed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool IsValidSlow(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp) =>
        IsValidTime(processingTime) & IsValidTime(queueTime) & IsValidTime(latency) & (((long)(batchSize | queueLength) | timestamp) >= 0);

    /// <summary>
    /// The caller-stamped record fast path's check: every field valid and a caller-supplied stamp (timestamp at least
    /// 1). False for -0.0 and Timestamp 0 (self-stamp), which the out-of-line path handles.
    /// </summary>
    /// <remarks><c>timestamp | (timestamp - 1)</c> is negative exactly when the timestamp is 0 or negative (long.MinValue included).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsValidCallerStamped(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp) =>
        TimesAndCountsValid(processingTime, batchSize, queueTime, latency, queueLength) && (timestamp | (timestamp - 1)) >= 0;

    /// <summary>The three times finite and non-negative (and not -0.0), the two counts non-negative.</summary>
    /// <remarks>
    /// As integers, the bits of +0.0 up to the largest finite double are exactly 0 .. 0x7FEF_FFFF_FFFF_FFFF, and every
    /// other double (negative, -0.0, infinity, NaN) compares higher as an unsigned number. Written as short-circuit
    /// tests so the JIT emits one compare-and-branch per time and one for the counts (always predicted on valid input)
    /// instead of materialising flags.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TimesAndCountsValid(double processingTime, int batchSize, double queueTime, double latency, int queueLength) =>
        (ulong)BitConverter.DoubleToInt64Bits(processingTime) < PositiveInfinityBits
        && (ulong)BitConverter.DoubleToInt64Bits(queueTime) < PositiveInfinityBits
        && (ulong)BitConverter.DoubleToInt64Bits(latency) < PositiveInfinityBits
        && (batchSize | queueLength) >= 0;

    private const ulong PositiveInfinityBits = 0x7FF0_0000_0000_0000;

    /// <summary>Names the first invalid field and says why; null when every field is valid.</summary>
    public static (string Field, object Value, string Message)? Describe(
        double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        if (!IsValidTime(processingTime))
        {
            return ("processingTime", processingTime, "Processing time must be a finite, non-negative number of seconds.");
        }

        if (batchSize < 0)
        {
            return ("batchSize", batchSize, "Batch size must be non-negative.");
        }

        if (!IsValidTime(queueTime))
        {
            return ("queueTime", queueTime, "Queue time must be a finite, non-negative number of seconds.");
        }

        if (!IsValidTime(latency))
        {
            return ("latency", latency, "Latency must be a finite, non-negative number of seconds.");
        }

        if (queueLength < 0)
        {
            return ("queueLength", queueLength, "Queue length must be non-negative.");
        }

        if (timestamp < 0)
        {
            return ("timestamp", timestamp, "Timestamp must be Stopwatch ticks (positive), or 0 to stamp at record time.");
        }

        return null;
    }

    /// <summary>
    /// Bad input on a record path: throws <see cref="ArgumentOutOfRangeException"/> naming the parameter (and, for a
    /// sample, the field), or under the drop policy counts it on the ring. Nothing of the call is recorded.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Reject(bool drop, WriterRing ring, string? sampleName, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        if (!drop)
        {
            string prefix = sampleName is null ? string.Empty : sampleName + ".";
            ThrowInvalid(prefix, processingTime, batchSize, queueTime, latency, queueLength, timestamp, sampleName);
        }

        ring.AddRejected(1);
    }

    /// <summary>Throws for the first invalid field: <c>Update(double, ...)</c> names its own parameter; a sample names itself and the field.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInvalid(string prefix, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp, string? paramName)
    {
        var (field, value, message) = Describe(processingTime, batchSize, queueTime, latency, queueLength, timestamp)
            ?? throw new System.Diagnostics.UnreachableException("validation failed but no field is invalid");
        string name = paramName ?? field;
        string fieldName = char.ToUpperInvariant(field[0]) + field[1..];
        ThrowHelper.ArgumentOutOfRange(name, value, paramName is null ? message : $"{prefix}{fieldName}: {message}");
    }
}
