using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace BatchStats.Fast;

/// <summary>Values written as Python prints them (the <c>ToString</c> of the snapshot and the analysis).</summary>
internal static class PythonLiteral
{
    /// <summary>
    /// A dict, list, string or number as Python's <c>repr</c>: a <see cref="double"/> as a Python float
    /// (<see cref="Float"/>), an integer as a Python int.
    /// </summary>
    public static string Of(object value) => value switch
    {
        string text => "'" + text + "'",
        double number => Float(number),
        IEnumerable<KeyValuePair<string, object>> map => Dict(map.Select(p => (p.Key, p.Value))),
        IEnumerable<KeyValuePair<string, double>> map => Dict(map.Select(p => (p.Key, (object)p.Value))),
        IEnumerable<string> items => "[" + string.Join(", ", items.Select(Of)) + "]",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>
    /// A float as Python's <c>repr</c> writes it: the shortest digits that read back to the same double, in
    /// positional notation while the decimal exponent is from -4 to 15 (with <c>.0</c> when whole) and as
    /// <c>1.5e-05</c> or <c>1e+16</c> outside that; <c>inf</c>, <c>-inf</c>, <c>nan</c>.
    /// </summary>
    public static string Float(double value)
    {
        if (!double.IsFinite(value))
        {
            return double.IsNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
        }

        string sign = double.IsNegative(value) ? "-" : string.Empty;
        if (value == 0)
        {
            return sign + "0.0";
        }

        // "R" gives the same shortest round-trip digits as Python's repr, in .NET's notation: take its digits and exponent.
        string shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int e = shortest.IndexOf('E');
        string mantissa = e < 0 ? shortest : shortest[..e];
        int exponent = e < 0 ? 0 : int.Parse(shortest.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int point = mantissa.IndexOf('.');
        string digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        exponent += (point < 0 ? mantissa.Length : point) - 1; // value = d.ddd × 10^exponent once leading zeros go
        int leadingZeros = digits.Length - digits.TrimStart('0').Length;
        exponent -= leadingZeros;
        digits = digits.Trim('0');

        if (exponent < -4 || exponent >= 16)
        {
            string fraction = digits.Length > 1 ? "." + digits[1..] : string.Empty;
            return $"{sign}{digits[0]}{fraction}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
        }

        int wholeDigits = exponent + 1;
        if (wholeDigits <= 0)
        {
            return sign + "0." + new string('0', -wholeDigits) + digits;
        }

        return digits.Length <= wholeDigits
            ? sign + digits + new string('0', wholeDigits - digits.Length) + ".0"
            : sign + digits[..wholeDigits] + "." + digits[wholeDigits..];
    }

    private static string Dict(IEnumerable<(string Key, object Value)> entries) =>
        "{" + string.Join(", ", entries.Select(e => $"'{e.Key}': {Of(e.Value)}")) + "}";
}
