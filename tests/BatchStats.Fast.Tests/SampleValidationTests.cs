using System;
using System.Threading;
using BatchStats.Fast.Internal;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="SampleValidation"/> driven directly: the inline fast check against the rules, the first invalid field
/// named with its message, and what a rejection does under each policy. The public record paths' bad-input behaviour
/// is in <see cref="LockFreeBatchStatsBadInputTests"/>.
/// </summary>
public sealed class SampleValidationTests
{
    /// <summary>
    /// The record fast path's inline check agrees with the bad-input rules on every value class (including -0.0,
    /// NaN payloads, infinities, subnormals and integer extremes): it accepts exactly the valid, caller-stamped
    /// samples except -0.0 times, which it leaves to the out-of-line path.
    /// </summary>
    [Property(MaxTest = 2000)]
    public Property FastPathCheck_AgreesWithTheRules() =>
        Prop.ForAll(
            (from a in Interesting
             from b in Interesting
             from c in Interesting
             from bs in Gen.Elements(0, 1, 7, -1, int.MinValue, int.MaxValue)
             from ql in Gen.Elements(0, 3, -2, int.MinValue, int.MaxValue)
             from ts in Gen.Elements(0L, 1L, 2L, -1L, long.MinValue, long.MaxValue, 123456789L)
             select (a, bs, b, c, ql, ts)).ToArbitrary(),
            x =>
            {
                bool valid = SampleValidation.Describe(x.a, x.bs, x.b, x.c, x.ql, x.ts) is null;
                bool negativeZero = double.IsNegative(x.a) || double.IsNegative(x.b) || double.IsNegative(x.c);
                bool expected = valid && x.ts != 0 && !negativeZero;
                return SampleValidation.IsValidCallerStamped(x.a, x.bs, x.b, x.c, x.ql, x.ts) == expected
                    && SampleValidation.IsValid(x.a, x.bs, x.b, x.c, x.ql, x.ts) == valid;
            });

    private static Gen<double> Interesting =>
        Gen.OneOf(
            Gen.Elements(0.0, -0.0, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, double.NaN,
                double.PositiveInfinity, double.NegativeInfinity, BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8_0000_0000_0001)),
                BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0001), 1e-300, 2.5, 0.001),
            Gen.Choose(0, 1_000_000).Select(i => i / 997.0),
            Gen.Choose(-1_000_000, 0).Select(i => i / 997.0));

    [Theory]
    [InlineData(double.NaN, 1, 0, 0, 0, 0L, "processingTime", "Processing time must be")]
    [InlineData(0.1, -1, double.NaN, 0, 0, 0L, "batchSize", "Batch size must be")]
    [InlineData(0.1, 1, -1.0, double.NaN, 0, 0L, "queueTime", "Queue time must be")]
    [InlineData(0.1, 1, 0, double.PositiveInfinity, -1, 0L, "latency", "Latency must be")]
    [InlineData(0.1, 1, 0, 0, -1, -1L, "queueLength", "Queue length must be")]
    [InlineData(0.1, 1, 0, 0, 0, -1L, "timestamp", "Timestamp must be")]
    public void Describe_NamesTheFirstInvalidFieldInOrder(double pt, int bs, double qt, double lat, int ql, long ts, string field, string message)
    {
        (string Field, object Value, string Message)? found = SampleValidation.Describe(pt, bs, qt, lat, ql, ts);
        Assert.NotNull(found);
        Assert.Equal(field, found.Value.Field);
        Assert.StartsWith(message, found.Value.Message, StringComparison.Ordinal);
        Assert.Null(SampleValidation.Describe(0, 0, 0, 0, 0, 0));
        Assert.Null(SampleValidation.Describe(double.MaxValue, int.MaxValue, double.Epsilon, -0.0, int.MaxValue, long.MaxValue));
    }

    [Fact]
    public void Reject_ThrowsNamingTheSampleAndField_OrCountsUnderTheDropPolicy()
    {
        var ring = new WriterRing(new object(), 256, Thread.CurrentThread);
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(
            () => SampleValidation.Reject(drop: false, ring, "sample", 0.1, 1, double.NaN, 0, 0, 5));
        Assert.Equal("sample", e.ParamName);
        Assert.StartsWith("sample.QueueTime: Queue time must be", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => SampleValidation.Reject(drop: false, ring, null, 0.1, -4, 0, 0, 0, 5));
        Assert.Equal("batchSize", e.ParamName);
        Assert.Equal(-4, e.ActualValue);
        Assert.Equal(0, ring.Version); // nothing counted when it throws

        SampleValidation.Reject(drop: true, ring, "sample", 0.1, 1, double.NaN, 0, 0, 5);
        Assert.Equal(1, ring.Version); // one rejection, no record
        Assert.Equal(0, ring.Head);
    }
}
