namespace BatchStats.Fast.Internal;

/// <summary>What every read of a tracker's window starts from, taken once per read.</summary>
/// <param name="Rings">The registry's rings as published (one array for the whole read).</param>
/// <param name="WindowSize">Samples in the window at most.</param>
/// <param name="OldestAllowed">Timestamps below this are left out (<see cref="long.MinValue"/>: no age limit).</param>
/// <param name="PeakSoFar">The tracker's peak throughput before this read.</param>
/// <param name="Pools">Scratch pools.</param>
internal readonly record struct ReadContext(WriterRing[] Rings, int WindowSize, long OldestAllowed, double PeakSoFar, ReaderPools Pools);
