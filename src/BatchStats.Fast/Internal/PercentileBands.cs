using System;
using System.Diagnostics;
using BatchStats.Fast.Internal.Kernels;

namespace BatchStats.Fast.Internal;

/// <summary>
/// The incremental reader's order statistics for one series (<see cref="WindowFigures.SeriesPercentiles"/>): per
/// percentile, a band of values around its ranks, kept sorted, and the count of window values below the band.
/// </summary>
/// <remarks>
/// <para>Invariant of a band with bounds [Lo, Hi]: it holds every window value v with Lo ≤ v ≤ Hi (all copies, in
/// ascending order), and <c>Below</c> counts the window values under Lo. So the window's sorted order has exactly the
/// band's values at ranks [Below, Below + Length), and the k-th smallest value is <c>band[k - Below]</c> whenever k is
/// in that range: the same value a selection over the whole window returns, hence the same percentile bits.</para>
/// <para>Inserting or removing a value costs a comparison, or a binary search and a short move inside the band.
/// A band stops covering its ranks only after about <see cref="Margin"/> net insertions on one side; then
/// <see cref="Rebuild"/> reselects all bands of the series from the window (one multi-rank selection and one pass).</para>
/// </remarks>
internal sealed class PercentileBands
{
    /// <summary>Ranks kept on each side of a percentile's two ranks when a band is built.</summary>
    internal const int Margin = 32;

    private readonly Band[] _bands = [new(), new(), new()];
    private bool _valid;

    /// <summary>Rebuilds so far (for tests and benchmarks).</summary>
    internal long Rebuilds { get; private set; }

    public void Invalidate() => _valid = false;

    /// <summary>True when every band holds both ranks its percentile reads in a window of <paramref name="n"/> values.</summary>
    public bool Covers(int n)
    {
        if (!_valid || n == 0)
        {
            return false;
        }

        ReadOnlySpan<double> ps = WindowFigures.SeriesPercentiles;
        for (int j = 0; j < _bands.Length; j++)
        {
            (int lower, int upper, _) = Percentiles.Position(n, ps[j]);
            if (lower < _bands[j].Below || upper >= _bands[j].Below + _bands[j].Length)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Notes a value entering the window.</summary>
    public void Insert(double value)
    {
        if (_valid)
        {
            foreach (Band band in _bands)
            {
                band.Insert(value);
            }
        }
    }

    /// <summary>Notes a value (one that is in the window) leaving it.</summary>
    public void Remove(double value)
    {
        if (_valid)
        {
            foreach (Band band in _bands)
            {
                band.Remove(value);
            }
        }
    }

    /// <summary>The percentiles of a window of <paramref name="n"/> values (the bands must cover it).</summary>
    public void Read(int n, Span<double> results)
    {
        Debug.Assert(Covers(n), "read only covered ranks");
        ReadOnlySpan<double> ps = WindowFigures.SeriesPercentiles;
        for (int j = 0; j < _bands.Length; j++)
        {
            (int lower, int upper, double gamma) = Percentiles.Position(n, ps[j]);
            results[j] = Percentiles.Lerp(_bands[j].At(lower), _bands[j].At(upper), gamma);
        }
    }

    /// <summary>Builds every band from the whole window: one selection of the band edges, one pass, three short sorts.</summary>
    /// <param name="values">The window's values (no NaN, no -0.0); may be reordered.</param>
    /// <param name="min">Their minimum.</param>
    /// <param name="max">Their maximum.</param>
    /// <param name="pools">Scratch pools for the selection.</param>
    public void Rebuild(Span<double> values, double min, double max, ReaderPools pools)
    {
        int n = values.Length;
        _valid = false;
        Rebuilds++;
        if (n == 0)
        {
            return;
        }

        ReadOnlySpan<double> ps = WindowFigures.SeriesPercentiles;
        Span<int> edges = stackalloc int[2 * _bands.Length];
        for (int j = 0; j < _bands.Length; j++)
        {
            (int lower, int upper, _) = Percentiles.Position(n, ps[j]);
            edges[2 * j] = Math.Max(0, lower - Margin);
            edges[(2 * j) + 1] = Math.Min(n - 1, upper + Margin);
        }

        Span<int> ranks = stackalloc int[edges.Length];
        edges.CopyTo(ranks);
        ranks = Percentiles.SortDistinct(ranks);
        Span<double> edgeValues = stackalloc double[ranks.Length];
        Percentiles.SelectRanks(values, ranks, edgeValues, min, max, pools.Doubles, pools.Ints);
        for (int j = 0; j < _bands.Length; j++)
        {
            _bands[j].Begin(edgeValues[ranks.BinarySearch(edges[2 * j])], edgeValues[ranks.BinarySearch(edges[(2 * j) + 1])]);
        }

        Band b0 = _bands[0], b1 = _bands[1], b2 = _bands[2];
        foreach (double v in values)
        {
            b0.Collect(v);
            b1.Collect(v);
            b2.Collect(v);
        }

        foreach (Band band in _bands)
        {
            band.SortCollected();
        }

        _valid = true;
    }

    /// <summary>One percentile's band. See the type's remarks for the invariant.</summary>
    private sealed class Band
    {
        private double[] _values = new double[(4 * Margin) + 4];
        private double _lo;
        private double _hi;

        public int Below { get; private set; }

        public int Length { get; private set; }

        /// <summary>The value of window rank <paramref name="rank"/> (which the band covers).</summary>
        public double At(int rank) => _values[rank - Below];

        public void Begin(double lo, double hi)
        {
            _lo = lo;
            _hi = hi;
            Below = 0;
            Length = 0;
        }

        /// <summary>Counts or keeps one window value while building (unordered).</summary>
        public void Collect(double value)
        {
            if (value < _lo)
            {
                Below++;
            }
            else if (value <= _hi)
            {
                Append(value);
            }
        }

        public void SortCollected() => _values.AsSpan(0, Length).Sort(); // the band only (about 2 · Margin values), never the window

        public void Insert(double value)
        {
            if (value < _lo)
            {
                Below++;
                return;
            }

            if (value > _hi)
            {
                return;
            }

            int at = UpperBound(value);
            if (Length == _values.Length)
            {
                Array.Resize(ref _values, 2 * _values.Length);
            }

            _values.AsSpan(at, Length - at).CopyTo(_values.AsSpan(at + 1));
            _values[at] = value;
            Length++;
        }

        public void Remove(double value)
        {
            if (value < _lo)
            {
                Below--;
                return;
            }

            if (value > _hi)
            {
                return;
            }

            int at = UpperBound(value) - 1; // the last copy: nothing after it moves when all are equal
            Debug.Assert(at >= 0 && _values[at] == value, "a value in the band's range that leaves the window is in the band");
            _values.AsSpan(at + 1, Length - at - 1).CopyTo(_values.AsSpan(at));
            Length--;
        }

        private void Append(double value)
        {
            if (Length == _values.Length)
            {
                Array.Resize(ref _values, 2 * _values.Length);
            }

            _values[Length++] = value;
        }

        /// <summary>The first index whose value is greater than <paramref name="value"/>.</summary>
        private int UpperBound(double value)
        {
            int lo = 0, hi = Length;
            while (lo < hi)
            {
                int mid = lo + ((hi - lo) >> 1);
                if (_values[mid] <= value)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}
