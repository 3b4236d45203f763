using Crisis.Functions.Storage.Tables;

namespace Crisis.Functions.Tests.Storage;

public class TableFilterTests
{
    [Fact]
    public void Strings_are_quoted_with_inner_quotes_doubled()
    {
        var hostile = "x' or true or 'a' eq 'a";
        Assert.Equal("PartitionKey eq 'x'' or true or ''a'' eq ''a'", TableFilter.Of($"PartitionKey eq {hostile}").Text);
    }

    [Fact]
    public void Every_edm_type_is_written_as_its_odata_literal()
    {
        var when = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var filter = TableFilter.Of($"A eq {1} and B eq {2L} and C eq {2.0} and D eq {0.5} and E eq {true} and F eq {when} and G eq {id} and H eq {new byte[] { 0xAB, 0x01 }}");

        Assert.Equal(
            "A eq 1 and B eq 2L and C eq 2.0 and D eq 0.5 and E eq true and F eq datetime'2026-01-02T01:04:05.0000000Z' and G eq guid'0f8fad5b-d9cb-469f-a165-70867728950e' and H eq X'ab01'",
            filter.Text);
    }

    [Fact]
    public void Nested_filters_are_parenthesised()
    {
        var either = TableFilter.Of($"RowKey eq {"a"}").Or(TableFilter.Of($"RowKey eq {"b"}"));
        Assert.Equal("(PartitionKey eq 'p') and ((RowKey eq 'a') or (RowKey eq 'b'))", TableFilter.Of($"PartitionKey eq {"p"}").And(either).Text);
    }

    [Fact]
    public void Values_without_a_literal_form_are_refused()
    {
        Assert.Throws<ArgumentException>(() => TableFilter.Of($"A eq {1.5m}"));
        Assert.Throws<ArgumentException>(() => TableFilter.Of($"A eq {(string?)null}"));
        Assert.Throws<ArgumentException>(() => TableFilter.Of($"A eq {double.NaN}"));
    }

    [Fact]
    public void Continuation_tokens_not_issued_by_us_are_refused()
    {
        Assert.Throws<ArgumentException>(() => TableClient.DecodeContinuation("!!not-base64!!"));
        Assert.Throws<ArgumentException>(() => TableClient.DecodeContinuation("bm9uZXdsaW5l"));
    }
}
