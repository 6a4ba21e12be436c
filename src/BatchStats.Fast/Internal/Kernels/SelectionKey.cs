namespace BatchStats.Fast.Internal.Kernels;

/// <summary>A merged candidate's place in window order: its timestamp, ties broken by merge position (a fixed order).</summary>
internal readonly record struct SelectionKey(long Timestamp, int Position);

/// <summary>Window order for the selection kernels: by timestamp, then by merge position.</summary>
internal readonly struct SelectionKeyAscending : IOrdering<SelectionKey>
{
    public static bool Less(SelectionKey x, SelectionKey y) =>
        x.Timestamp < y.Timestamp || (x.Timestamp == y.Timestamp && x.Position < y.Position);

    public int Compare(SelectionKey x, SelectionKey y) =>
        x.Timestamp != y.Timestamp ? x.Timestamp.CompareTo(y.Timestamp) : x.Position.CompareTo(y.Position);
}
