namespace BatchStats.Fast.Tests;

/// <summary>The fixed history the exporter tests share.</summary>
internal static class ExportHistory
{
    /// <summary>A fixed history: 40 caller-stamped samples, 3 errors; exact binary fractions keep the text stable.</summary>
    public static LockFreeBatchStats FixedHistory()
    {
        var stats = new LockFreeBatchStats(32, 0);
        for (int i = 0; i < 40; i++)
        {
            double pt = (1 + (i % 8)) / 256.0; // 3.9 ms .. 31.25 ms
            stats.Update(new BatchSample(pt, 4 + (i % 4), pt / 4, pt * 2, i % 5, Timestamp: 1000 + i));
        }

        stats.RecordError(3, 1020);
        return stats;
    }
}
