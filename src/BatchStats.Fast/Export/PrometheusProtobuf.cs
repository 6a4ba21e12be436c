using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace BatchStats.Fast.Export;

/// <summary>
/// Renders <see cref="Family"/> lists as Prometheus' delimited protobuf exposition (<c>io.prometheus.client.MetricFamily</c>
/// messages, each preceded by its varint length), with each distribution as a native histogram plus its classic buckets.
/// </summary>
/// <remarks>
/// Hand-written rather than generated: the library writes nine small messages and reads none, and an encoder of a
/// page keeps the shipped package free of a protobuf runtime. The tests parse the output with types generated from
/// the message definitions. Field numbers follow Prometheus client_model's <c>metrics.proto</c>.
/// </remarks>
internal static class PrometheusProtobuf
{
    private const int Varint = 0, Fixed64 = 1, Delimited = 2;

    /// <summary>Writes each family once, with one metric per source (every source lists the same families in the same order).</summary>
    public static void Write(Stream stream, IReadOnlyList<ExpositionSource> sources, IReadOnlyList<double> bounds)
    {
        var family = new ArrayBufferWriter<byte>(1024);
        var scratch = new ArrayBufferWriter<byte>(256);
        Span<byte> prefix = stackalloc byte[10];
        for (int k = 0; k < sources[0].Families.Count; k++)
        {
            Family f = sources[0].Families[k];
            family.ResetWrittenCount();
            String(family, 1, f.Name);
            String(family, 2, f.Help);
            Tag(family, 3, Varint);
            UInt(family, (ulong)f.Type);
            foreach (ExpositionSource source in sources)
            {
                scratch.ResetWrittenCount();
                Metric(scratch, source.Families[k], source.Labels, bounds);
                Bytes(family, 4, scratch.WrittenSpan);
            }

            int n = VarintTo(prefix, (ulong)family.WrittenCount);
            stream.Write(prefix[..n]);
            stream.Write(family.WrittenSpan);
        }
    }

    private static void Metric(ArrayBufferWriter<byte> w, Family f, IReadOnlyDictionary<string, string> constantLabels, IReadOnlyList<double> bounds)
    {
        var inner = new ArrayBufferWriter<byte>(128);
        foreach ((string name, string value) in constantLabels)
        {
            inner.ResetWrittenCount();
            String(inner, 1, name);
            String(inner, 2, value);
            Bytes(w, 1, inner.WrittenSpan);
        }

        inner.ResetWrittenCount();
        switch (f.Type)
        {
            case FamilyType.Counter or FamilyType.Gauge:
                Double(inner, 1, f.Value);
                Bytes(w, f.Type == FamilyType.Counter ? 3 : 2, inner.WrittenSpan);
                break;
            case FamilyType.Summary:
                Tag(inner, 1, Varint);
                UInt(inner, (ulong)f.Count);
                Double(inner, 2, f.Sum);
                var quantile = new ArrayBufferWriter<byte>(32);
                foreach ((double q, double v) in f.Quantiles!)
                {
                    quantile.ResetWrittenCount();
                    Double(quantile, 1, q);
                    Double(quantile, 2, v);
                    Bytes(inner, 3, quantile.WrittenSpan);
                }

                Bytes(w, 4, inner.WrittenSpan);
                break;
            default:
                Histogram(inner, f.Histogram!, bounds);
                Bytes(w, 7, inner.WrittenSpan);
                break;
        }
    }

    /// <summary>The schemas of Prometheus's exponential native histograms; a histogram's scale is its schema.</summary>
    private const int NativeMinSchema = -4, NativeMaxSchema = 8;

    /// <summary>
    /// A native histogram (schema, zero bucket, spans, delta-encoded counts) with its classic buckets. A histogram finer
    /// than schema 8 (one merged from an OpenTelemetry SDK's, say) is written downscaled to 8; one coarser than -4 has
    /// no native form, and is written with its classic buckets alone.
    /// </summary>
    private static void Histogram(ArrayBufferWriter<byte> w, ExponentialHistogram h, IReadOnlyList<double> bounds)
    {
        Tag(w, 1, Varint);
        UInt(w, (ulong)h.Count);
        Double(w, 2, h.Sum);
        var part = new ArrayBufferWriter<byte>(32);
        foreach ((double le, long count) in PrometheusFamilies.ClassicBuckets(h, bounds))
        {
            part.ResetWrittenCount();
            Tag(part, 1, Varint);
            UInt(part, (ulong)count);
            Double(part, 2, le);
            Bytes(w, 3, part.WrittenSpan);
        }

        if (h.Scale < NativeMinSchema)
        {
            return; // no schema Prometheus can read: the classic buckets only
        }

        h = h.Scale > NativeMaxSchema ? h.Downscale(NativeMaxSchema) : h; // the finest schema Prometheus reads; the classic buckets above used the full scale
        Tag(w, 5, Varint);
        UInt(w, ZigZag(h.Scale));
        Double(w, 6, h.ZeroThreshold);
        Tag(w, 7, Varint);
        UInt(w, (ulong)h.ZeroCount);

        // Prometheus bucket i covers (base^(i-1), base^i]: the OpenTelemetry index plus one. One span per run of
        // non-empty buckets; the first span's offset is its start, later ones the gap since the previous span.
        ReadOnlySpan<long> counts = h.Counts;
        var deltas = new ArrayBufferWriter<byte>(Math.Max(16, counts.Length * 2));
        long previousCount = 0, previousEnd = 0;
        bool any = false;
        for (int i = 0; i < counts.Length;)
        {
            if (counts[i] == 0)
            {
                i++;
                continue;
            }

            int start = i;
            while (i < counts.Length && counts[i] != 0)
            {
                UInt(deltas, ZigZag(counts[i] - previousCount));
                previousCount = counts[i];
                i++;
            }

            long index = h.Offset + start + 1;
            Span(w, any ? index - previousEnd : index, i - start);
            previousEnd = h.Offset + i + 1;
            any = true;
        }

        if (!any)
        {
            Span(w, 0, 0); // the no-op span: marks the message as a native histogram with no buckets yet
        }
        else
        {
            Bytes(w, 13, deltas.WrittenSpan); // packed sint64
        }

        static void Span(ArrayBufferWriter<byte> w, long offset, int length)
        {
            var span = new ArrayBufferWriter<byte>(12);
            Tag(span, 1, Varint);
            UInt(span, ZigZag(offset));
            Tag(span, 2, Varint);
            UInt(span, (ulong)length);
            Bytes(w, 12, span.WrittenSpan);
        }
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static void Tag(ArrayBufferWriter<byte> w, int field, int wireType) => UInt(w, (ulong)((field << 3) | wireType));

    private static void UInt(ArrayBufferWriter<byte> w, ulong value)
    {
        int n = VarintTo(w.GetSpan(10), value);
        w.Advance(n);
    }

    private static int VarintTo(Span<byte> destination, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[n++] = (byte)value;
        return n;
    }

    private static void Double(ArrayBufferWriter<byte> w, int field, double value)
    {
        Tag(w, field, Fixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(w.GetSpan(8), value);
        w.Advance(8);
    }

    private static void String(ArrayBufferWriter<byte> w, int field, string value)
    {
        Tag(w, field, Delimited);
        int length = Encoding.UTF8.GetByteCount(value);
        UInt(w, (ulong)length);
        Encoding.UTF8.GetBytes(value, w.GetSpan(length));
        w.Advance(length);
    }

    private static void Bytes(ArrayBufferWriter<byte> w, int field, ReadOnlySpan<byte> value)
    {
        Tag(w, field, Delimited);
        UInt(w, (ulong)value.Length);
        value.CopyTo(w.GetSpan(value.Length));
        w.Advance(value.Length);
    }
}
