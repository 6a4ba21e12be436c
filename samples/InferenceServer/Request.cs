namespace BatchStats.Fast.Demo;

/// <summary>One inference request: its feature vector and when it arrived (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
/// <param name="Arrived">The arrival time the load generator drew for it (open loop: when the client sent it, not when the generator got round to queueing it).</param>
/// <param name="Features">F floats; a malformed request carries a NaN, which the worker rejects.</param>
public sealed record Request(long Arrived, float[] Features);
