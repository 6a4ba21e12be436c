using System;
using System.Linq;
using BatchStats.Fast.Baseline;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// Model-based properties: random sequential histories of Update / UpdateMany / RecordError / GetStats run on
/// <see cref="LockFreeBatchStats"/>, <see cref="LockedBatchStats"/> and the sort-based <see cref="ReferenceStats"/>;
/// after every GetStats the three agree (percentiles and counters exactly, means within 1e-12).
/// </summary>
public sealed class LockFreeBatchStatsModelTests
{
    public enum OpKind
    {
        Update,
        UpdateStruct,
        UpdateMany,
        RecordError,
        GetStats,
    }

    public sealed record Op(OpKind Kind, BatchSample[] Samples, int Count)
    {
        public override string ToString() => $"{Kind}({Samples.Length} samples, count {Count})";
    }

    public sealed record History(int Window, Op[] Ops)
    {
        public override string ToString() => $"window {Window}: " + string.Join(", ", Ops.Select(o => o.ToString()));
    }

    private static Gen<double> Seconds =>
        Gen.OneOf(
            Gen.Choose(0, 1000).Select(i => i / 1000.0),
            Gen.Choose(0, 3).Select(i => i * 0.25), // duplicates and zeros
            Gen.Choose(-9, 9).SelectMany(e => Gen.Choose(1, 999).Select(m => m * Math.Pow(10, e)))); // 1e-9 .. 1e9

    private static Gen<BatchSample> Sample =>
        from pt in Seconds
        from bs in Gen.Choose(0, 256)
        from qt in Seconds
        from lat in Seconds
        from ql in Gen.Choose(0, 50)
        select new BatchSample(pt, bs, qt, lat, ql);

    private static Gen<Op> Operation =>
        Gen.OneOf(
            Sample.Select(s => new Op(OpKind.Update, [s], 0)),
            Sample.Select(s => new Op(OpKind.UpdateStruct, [s], 0)),
            Sample.ArrayOf().Select(a => new Op(OpKind.UpdateMany, a, 0)),
            Gen.Choose(1, 5).Select(c => new Op(OpKind.RecordError, [], c)),
            Gen.Constant(new Op(OpKind.GetStats, [], 0)));

    public static Arbitrary<History> Histories() =>
        (from window in Gen.OneOf(Gen.Choose(1, 8), Gen.Choose(9, 64))
         from ops in Operation.ArrayOf()
         select new History(window, ops)).ToArbitrary();

    [Property(MaxTest = 300, Arbitrary = [typeof(LockFreeBatchStatsModelTests)])]
    public void RandomHistory_AllImplementationsAgreeWithReference(History history)
    {
        var lockFree = new LockFreeBatchStats(history.Window, 0);
        var locked = new LockedBatchStats(history.Window, 0);
        var reference = new ReferenceStats(history.Window);
        long stamp = 0;
        foreach (Op op in history.Ops)
        {
            switch (op.Kind)
            {
                case OpKind.Update:
                    BatchSample s = op.Samples[0];
                    lockFree.Update(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength);
                    locked.Update(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength);
                    reference.Add(s);
                    break;
                case OpKind.UpdateStruct:
                    BatchSample stamped = op.Samples[0] with { Timestamp = ++stamp + 1_000_000_000_000 };
                    lockFree.Update(stamped);
                    locked.Update(stamped);
                    reference.Add(stamped);
                    break;
                case OpKind.UpdateMany:
                    lockFree.UpdateMany(op.Samples);
                    locked.UpdateMany(op.Samples);
                    foreach (BatchSample m in op.Samples)
                    {
                        reference.Add(m);
                    }

                    break;
                case OpKind.RecordError:
                    lockFree.RecordError(op.Count);
                    locked.RecordError(op.Count);
                    reference.AddErrors(op.Count);
                    break;
                default:
                    Compare(reference, lockFree, locked);
                    break;
            }
        }

        Compare(reference, lockFree, locked);
    }

    private static void Compare(ReferenceStats reference, LockFreeBatchStats lockFree, LockedBatchStats locked)
    {
        var expected = reference.Figures();
        SnapshotAssert.Matches(expected, lockFree.GetStats(), "lock-free");
        SnapshotAssert.Matches(expected, locked.GetStats(), "locked");
    }
}
