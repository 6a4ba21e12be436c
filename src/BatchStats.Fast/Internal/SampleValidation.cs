using System.Runtime.CompilerServices;

namespace BatchStats.Fast.Internal;

/// <summary>The bad-input rules of DESIGN §3, shared by every record path.</summary>
internal static class SampleValidation
{
    /// <summary>True for a finite, non-negative time (false for NaN, ±∞ and negatives).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsValidTime(double seconds) => seconds >= 0 && seconds <= double.MaxValue;

    /// <summary>One branch-free check of every field; the hot paths call the slow describer only when it fails.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsValid(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp) =>
        IsValidTime(processingTime) & IsValidTime(queueTime) & IsValidTime(latency) & (((long)(batchSize | queueLength) | timestamp) >= 0);

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
}
