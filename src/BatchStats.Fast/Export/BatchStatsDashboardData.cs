using System;
using System.Collections.Generic;

namespace BatchStats.Fast;

/// <summary>What a dashboard shows at one moment: the figures and a one-word status.</summary>
/// <param name="Timestamp">When the data was taken.</param>
/// <param name="Metrics">The snapshot's snake_case figures.</param>
/// <param name="Status"><c>healthy</c>, or <c>warning</c> when the error rate is above the dashboard's limit.</param>
public sealed record BatchStatsDashboardData(DateTimeOffset Timestamp, IReadOnlyDictionary<string, double> Metrics, string Status);
