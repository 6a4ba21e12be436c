using System.Runtime.CompilerServices;

// The tracker keeps its snapshot cache's bookkeeping on the snapshot itself (internal members), so a recompute
// allocates the snapshot and nothing else.
[assembly: InternalsVisibleTo("BatchStats.Fast")]
