using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace BatchStats.Fast.Export;

/// <summary>Renders <see cref="Family"/> lists as the Prometheus text exposition (format 0.0.4).</summary>
internal static class PrometheusText
{
    /// <summary>Writes each family once, with one series per source (every source lists the same families in the same order).</summary>
    public static void Write(TextWriter w, IReadOnlyList<ExpositionSource> sources, IReadOnlyList<double> bounds)
    {
        var labels = new string[sources.Count];
        for (int i = 0; i < sources.Count; i++)
        {
            labels[i] = FormatLabels(sources[i].Labels);
        }

        for (int k = 0; k < sources[0].Families.Count; k++)
        {
            Family first = sources[0].Families[k];
            w.Write("# HELP ");
            w.Write(first.Name);
            w.Write(' ');
            w.Write(first.Help);
            w.Write("\n# TYPE ");
            w.Write(first.Name);
            w.Write(' ');
            w.Write(first.Type switch { FamilyType.Counter => "counter", FamilyType.Gauge => "gauge", FamilyType.Summary => "summary", _ => "histogram" });
            w.Write('\n');
            for (int i = 0; i < sources.Count; i++)
            {
                Samples(w, sources[i].Families[k], labels[i], bounds);
            }
        }
    }

    private static void Samples(TextWriter w, Family f, string labels, IReadOnlyList<double> bounds)
    {
        switch (f.Type)
        {
            case FamilyType.Summary:
                foreach ((double q, double v) in f.Quantiles!)
                {
                    Sample(w, f.Name, null, labels, "quantile", q, v);
                }

                break;
            case FamilyType.Histogram:
                foreach ((double le, long count) in PrometheusFamilies.ClassicBuckets(f.Histogram!, bounds))
                {
                    Sample(w, f.Name, "_bucket", labels, "le", le, count);
                }

                Sample(w, f.Name, "_bucket", labels, "le", double.PositiveInfinity, f.Count);
                break;
            default:
                Sample(w, f.Name, null, labels, null, 0, f.Value);
                return;
        }

        Sample(w, f.Name, "_sum", labels, null, 0, f.Sum);
        Sample(w, f.Name, "_count", labels, null, 0, f.Count);
    }

    /// <summary>The constant labels as <c>name="value",…</c>, values escaped as the text format requires.</summary>
    public static string FormatLabels(IReadOnlyDictionary<string, string> labels)
    {
        var builder = new StringBuilder();
        foreach ((string name, string value) in labels)
        {
            builder.Append(builder.Length == 0 ? string.Empty : ",").Append(name).Append("=\"");
            foreach (char c in value)
            {
                // Label value escaping of the text format: backslash, double quote and line feed.
                switch (c)
                {
                    case '\\':
                        builder.Append(@"\\");
                        break;
                    case '"':
                        builder.Append("\\\"");
                        break;
                    case '\n':
                        builder.Append(@"\n");
                        break;
                    default:
                        builder.Append(c);
                        break;
                }
            }

            builder.Append('"');
        }

        return builder.ToString();
    }

    private static void Sample(TextWriter w, string name, string? suffix, string labels, string? extraName, double extraValue, double value)
    {
        w.Write(name);
        if (suffix is not null)
        {
            w.Write(suffix);
        }

        if (labels.Length > 0 || extraName is not null)
        {
            w.Write('{');
            w.Write(labels);
            if (extraName is not null)
            {
                w.Write(labels.Length > 0 ? "," : string.Empty);
                w.Write(extraName);
                w.Write("=\"");
                WriteValue(w, extraValue);
                w.Write('"');
            }

            w.Write('}');
        }

        w.Write(' ');
        WriteValue(w, value);
        w.Write('\n');
    }

    private static void WriteValue(TextWriter w, double value)
    {
        if (double.IsNaN(value))
        {
            w.Write("NaN");
        }
        else if (double.IsInfinity(value))
        {
            w.Write(value > 0 ? "+Inf" : "-Inf");
        }
        else
        {
            Span<char> buffer = stackalloc char[32];
            value.TryFormat(buffer, out int written, "R", CultureInfo.InvariantCulture);
            w.Write(buffer[..written]);
        }
    }
}
