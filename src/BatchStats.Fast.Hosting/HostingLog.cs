using System;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast.Hosting;

/// <summary>The hosting package's own log messages (the monitor's alerts are logged by the monitor).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Reloaded BatchStats:{Name}:Alerts ignored, the limits in force stay: {Reason}")]
    public static partial void ReloadedLimitsIgnored(ILogger logger, Exception? exception, string name, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Path} configures no tracker registered with AddBatchStats (registered: {Registered}); its settings are not used")]
    public static partial void UnregisteredSection(ILogger logger, string path, string registered);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Reloaded BatchStats:{Name} changes {Differences}: a tracker keeps the options it was created with until the application restarts (only Alerts follow a reload)")]
    public static partial void ReloadedOptionsNotApplied(ILogger logger, string name, string differences);
}
