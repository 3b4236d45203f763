using System.Globalization;
using System.Text;

namespace Crisis.Functions.Storage.Tables;

/// <summary>
/// An OData <c>$filter</c> for a table query. The only way to make one is from an interpolated string, whose
/// interpolated values are always written as escaped OData literals: user input cannot change the filter's
/// structure. <c>TableFilter.Of($"PartitionKey eq {crisisId} and Count gt {n}")</c>.
/// </summary>
public sealed class TableFilter
{
    private TableFilter(string text) => Text = text;

    public string Text { get; }

    public static TableFilter Of(FormattableString filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var literals = filter.GetArguments().Select(Literal).Cast<object>().ToArray();
        return new TableFilter(string.Format(CultureInfo.InvariantCulture, filter.Format, literals));
    }

    /// <summary>Rows of one partition whose RowKey starts with <paramref name="prefix"/>.</summary>
    public static TableFilter PartitionWithRowKeyPrefix(string partitionKey, string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var upperBound = prefix[..^1] + (char)(prefix[^1] + 1);
        return Of($"PartitionKey eq {partitionKey} and RowKey ge {prefix} and RowKey lt {upperBound}");
    }

    public TableFilter And(TableFilter other) => Of($"{this} and {other}");

    public TableFilter Or(TableFilter other) => Of($"{this} or {other}");

    public override string ToString() => Text;

    /// <summary>Writes one value as an OData literal of its EDM type.</summary>
    internal static string Literal(object? value) => value switch
    {
        null => throw new ArgumentException("A table filter cannot compare with null: the Table service stores no nulls."),
        TableFilter nested => "(" + nested.Text + ")",
        string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        double d when double.IsFinite(d) => DoubleLiteral(d),
        DateTimeOffset t => "datetime'" + t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture) + "'",
        DateTime t => Literal(new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t)),
        Guid g => "guid'" + g.ToString("D") + "'",
        byte[] bytes => "X'" + Convert.ToHexStringLower(bytes) + "'",
        _ => throw new ArgumentException($"A {value.GetType().Name} cannot be written into a table filter."),
    };

    private static string DoubleLiteral(double d)
    {
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal)
            ? text
            : new StringBuilder(text).Append(".0").ToString();
    }
}
