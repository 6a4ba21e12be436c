// NativeAOT smoke test: records from two threads (one through a BatchStatsWriter handle), then exports a snapshot, the analysis, Prometheus text and Meter
// instruments. Prints "AOT smoke: ok" and exits 0 only when every export has the expected content.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO;
using System.Threading;
using BatchStats.Fast;

var stats = new LockFreeBatchStats(256, 0);
BatchStatsWriter? handle = null;
var writers = new Thread[2];
for (int w = 0; w < writers.Length; w++)
{
    int id = w;
    writers[w] = new Thread(() =>
    {
        if (id == 0)
        {
            for (int i = 0; i < 500; i++)
            {
                stats.Update(0.001 * (1 + (i % 10)), 8, 0.0005, 0.002, i % 4);
            }

            stats.RecordError();
        }
        else
        {
            BatchStatsWriter writer = handle = stats.CreateWriter();
            for (int i = 0; i < 500; i++)
            {
                writer.Update(new BatchSample(0.001 * (1 + (i % 10)), 8, 0.0005, 0.002, i % 4, Stopwatch.GetTimestamp()));
            }

            writer.RecordError();
        }
    });
    writers[w].Start();
}

foreach (Thread t in writers)
{
    t.Join();
}

var failures = new List<string>();
try
{
    handle!.Update(new BatchSample(0.001, 8, 0.0005, 0.002, 0, Stopwatch.GetTimestamp())); // not its thread
    failures.Add("writer thread check");
}
catch (InvalidOperationException)
{
}

BatchStatsSnapshot snapshot = stats.GetStats();
string json = BatchStatsJson.Serialize(snapshot);
if (BatchStatsJson.DeserializeSnapshot(json)["batch_count"] != 1000)
{
    failures.Add("json round trip");
}

if (!BatchStatsJson.Serialize(stats.GetComprehensiveStats()).Contains("\"performance_trend\"", StringComparison.Ordinal))
{
    failures.Add("analysis json");
}

using var text = new StringWriter();
BatchStatsPrometheus.Write(text, stats);
if (!text.ToString().Contains("batch_batches_total 1000", StringComparison.Ordinal))
{
    failures.Add("prometheus");
}

using var meter = new Meter("AotSmoke");
using var instruments = BatchStatsInstruments.Create(stats, meter);
double batches = 0;
using var listener = new MeterListener { InstrumentPublished = (i, l) => l.EnableMeasurementEvents(i) };
listener.SetMeasurementEventCallback<long>((i, v, _, _) => batches = i.Name == "batchstats.batches" ? v : batches);
listener.Start();
listener.RecordObservableInstruments();
if (batches != 1000)
{
    failures.Add("meter");
}

Console.WriteLine(failures.Count == 0 ? "AOT smoke: ok" : "AOT smoke: failed: " + string.Join(", ", failures));
return failures.Count == 0 ? 0 : 1;
