using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace BatchStats.Fast;

/// <summary>Values written as Python prints them (the <c>ToString</c> of the snapshot and the analysis).</summary>
internal static class PythonLiteral
{
    /// <summary>A dict, list, string or number as Python's <c>repr</c> (invariant culture, round-trip precision).</summary>
    public static string Of(object value) => value switch
    {
        string text => "'" + text + "'",
        IEnumerable<KeyValuePair<string, object>> map => Dict(map.Select(p => (p.Key, p.Value))),
        IEnumerable<KeyValuePair<string, double>> map => Dict(map.Select(p => (p.Key, (object)p.Value))),
        IEnumerable<string> items => "[" + string.Join(", ", items.Select(Of)) + "]",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string Dict(IEnumerable<(string Key, object Value)> entries) =>
        "{" + string.Join(", ", entries.Select(e => $"'{e.Key}': {Of(e.Value)}")) + "}";
}
