namespace BatchStats.Fast;

/// <summary>
/// One processed batch: the unit that <see cref="IBatchStats"/> records.
/// </summary>
/// <param name="ProcessingTime">Time spent processing the batch, in seconds. Finite and non-negative.</param>
/// <param name="BatchSize">Number of items in the batch. Non-negative.</param>
/// <param name="QueueTime">Time the batch (or its oldest item) waited in the queue, in seconds. Finite and non-negative.</param>
/// <param name="Latency">End-to-end latency of the batch, in seconds. Finite and non-negative; 0 when not measured.</param>
/// <param name="QueueLength">Queue length observed when the batch was taken. Non-negative.</param>
/// <param name="Timestamp">
/// When the batch completed, in <see cref="System.Diagnostics.Stopwatch"/> ticks
/// (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>). 0 means "stamp it when recorded".
/// Samples are ordered by this value when the rolling window is formed.
/// </param>
public readonly record struct BatchSample(
    double ProcessingTime,
    int BatchSize,
    double QueueTime,
    double Latency = 0,
    int QueueLength = 0,
    long Timestamp = 0);
