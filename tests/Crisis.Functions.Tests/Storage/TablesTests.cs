using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Storage;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Storage;

public class TablesTests
{
    private static string Key(int i) => i.ToString("D4", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Every_property_type_the_app_writes_reads_back_as_the_same_type()
    {
        var table = await TestStorage.NewTableAsync();
        var etag = await table.InsertAsync(SampleEntities.AllTypes());
        var read = await table.ReadAsync("p", "r");

        Assert.NotEqual(default, etag);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(SampleEntities.Text, read.GetString("Text"));
        Assert.Equal(42, read.GetInt32("Int"));
        Assert.Equal(SampleEntities.BigNumber, read.GetInt64("Long"));
        Assert.Equal(2.5, read.GetDouble("Double"));
        Assert.Equal(3.0, read.GetDouble("WholeDouble"));
        Assert.True(read.GetBoolean("Flag"));
        Assert.Equal(SampleEntities.When, read.GetDateTimeOffset("When"));
        Assert.Equal(SampleEntities.Id, read.GetGuid("Id"));
        Assert.Equal(SampleEntities.Bytes, read.GetBinary("Bytes"));
    }

    [Fact]
    public async Task Insert_of_existing_keys_is_already_exists_with_the_service_code()
    {
        var table = await TestStorage.NewTableAsync();
        await table.InsertAsync(SampleEntities.AllTypes());

        var error = await Assert.ThrowsAsync<AlreadyExistsException>(() => table.InsertAsync(SampleEntities.AllTypes()));

        Assert.Equal("EntityAlreadyExists", error.ErrorCode);
    }

    [Fact]
    public async Task A_missing_entity_is_null_or_not_found()
    {
        var table = await TestStorage.NewTableAsync();

        Assert.Null(await table.FindAsync("nope", "nope"));
        await Assert.ThrowsAsync<NotFoundException>(() => table.ReadAsync("nope", "nope"));
        await Assert.ThrowsAsync<NotFoundException>(() => table.UpdateAsync(new TableEntity("nope", "nope"), ETag.All));
    }

    [Fact]
    public async Task Update_with_a_stale_etag_is_changed_meanwhile_and_changes_nothing()
    {
        var table = await TestStorage.NewTableAsync();
        var first = await table.InsertAsync(new TableEntity("p", "r") { ["V"] = 1 });
        var second = await table.UpdateAsync(new TableEntity("p", "r") { ["V"] = 2 }, first);

        await Assert.ThrowsAsync<ChangedMeanwhileException>(() => table.UpdateAsync(new TableEntity("p", "r") { ["V"] = 3 }, first, TableUpdateMode.Replace));
        await Assert.ThrowsAsync<ChangedMeanwhileException>(() => table.RemoveAsync("p", "r", first));

        var read = await table.ReadAsync("p", "r");
        Assert.Equal(2, read.GetInt32("V"));
        Assert.Equal(second, read.ETag);
        Assert.True(await table.RemoveAsync("p", "r", second));
        Assert.False(await table.RemoveAsync("p", "r"));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\nb")]
    public async Task Keys_the_service_refuses_are_refused_before_any_request(string key)
    {
        var table = await TestStorage.NewTableAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => table.InsertAsync(new TableEntity(key, "r")));
        await Assert.ThrowsAsync<ArgumentException>(() => table.UpsertAsync(new TableEntity("p", key)));

        Assert.Empty(await table.QueryRowsAsync().ToListAsync());
    }

    [Fact]
    public async Task Pages_follow_opaque_continuation_tokens_to_the_end()
    {
        var table = await TestStorage.NewTableAsync();
        for (var batch = 0; batch < 3; batch++)
        {
            await table.SubmitAsync([.. Enumerable.Range(batch * 50, 50)
                .Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", Key(i)) { ["N"] = i }))]);
        }

        var all = await table.QueryRowsAsync(maxPerPage: 7).ToListAsync();
        Assert.Equal(Enumerable.Range(0, 150), all.Select(e => e.GetInt32("N")!.Value));

        var seen = new List<int>();
        string? token = null;
        do
        {
            var page = await table.QueryPageAsync(null, ["N"], 40, token);
            Assert.InRange(page.Entities.Count, 0, 40);
            Assert.All(page.Entities, e => Assert.Equal("p", e.PartitionKey));
            seen.AddRange(page.Entities.Select(e => e.GetInt32("N")!.Value));
            token = page.ContinuationToken;
            Assert.True(token is null || token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), token);
        }
        while (token is not null);

        Assert.Equal(Enumerable.Range(0, 150), seen);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    [InlineData("-_-_")]
    public async Task A_continuation_token_this_app_did_not_issue_is_a_format_error(string token)
    {
        var table = await TestStorage.NewTableAsync();
        await table.InsertAsync(new TableEntity("p", "r"));

        await Assert.ThrowsAsync<FormatException>(() => table.QueryPageAsync(null, null, 10, token));
    }

    [Fact]
    public async Task Filter_values_cannot_inject_odata()
    {
        var table = await TestStorage.NewTableAsync();
        await table.InsertAsync(new TableEntity("secret", "1"));
        await table.InsertAsync(new TableEntity("mine", "1"));

        var hostile = "mine' or PartitionKey ne '";
        var rows = await table.QueryRowsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {hostile}")).ToListAsync();

        Assert.Empty(rows);
    }

    [Fact]
    public async Task Row_key_prefix_filter_selects_exactly_the_prefix_and_combines_with_another()
    {
        var table = await TestStorage.NewTableAsync();
        foreach (var (key, n) in new[] { ("update-1", 1), ("update-2", 2), ("updatf", 3), ("upd", 4), ("other", 5) })
        {
            await table.InsertAsync(new TableEntity("p", key) { ["N"] = n });
        }

        var prefixed = await table.QueryRowsAsync(Tables.RowKeyPrefixFilter("p", "update-")).ToListAsync();
        var combined = await table.QueryRowsAsync(Tables.And(Tables.RowKeyPrefixFilter("p", "update-"), TableClient.CreateQueryFilter($"N gt {1}"))).ToListAsync();

        Assert.Equal(["update-1", "update-2"], prefixed.Select(r => r.RowKey));
        Assert.Equal(["update-2"], combined.Select(r => r.RowKey));
    }

    [Fact]
    public async Task A_failing_action_rolls_back_the_whole_transaction_and_names_its_index()
    {
        var table = await TestStorage.NewTableAsync();
        await table.InsertAsync(new TableEntity("p", "taken"));

        var error = await Assert.ThrowsAsync<AlreadyExistsException>(() => table.SubmitAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("p", "fresh")),
            new(TableTransactionActionType.Add, new TableEntity("p", "taken")),
        ]));

        Assert.Equal(1, error.FailedActionIndex);
        Assert.Null(await table.FindAsync("p", "fresh"));
    }

    [Fact]
    public async Task Transaction_limits_the_emulator_ignores_are_enforced_before_sending()
    {
        var table = await TestStorage.NewTableAsync();
        TableTransactionAction Add(string pk, string rk) => new(TableTransactionActionType.Add, new TableEntity(pk, rk));
        var big = new string('x', 30_000);

        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync([.. Enumerable.Range(0, 101).Select(i => Add("p", Key(i)))]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync([Add("p", "1"), Add("q", "2")]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync([Add("p", "1"), Add("p", "1")]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync([.. Enumerable.Range(0, 100).Select(i =>
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", Key(i)) { ["S0"] = big, ["S1"] = big }))]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync(
            [new(TableTransactionActionType.Add, new TableEntity("p", "r") { ["S"] = new string('x', EntityLimits.MaxStringLength + 1) })]));

        Assert.Empty(await table.QueryRowsAsync().ToListAsync());
    }

    [Fact]
    public async Task A_transaction_at_the_limits_applies_atomically()
    {
        var table = await TestStorage.NewTableAsync();
        var existing = await table.InsertAsync(new TableEntity("p", Key(0)) { ["V"] = 0 });
        await table.InsertAsync(new TableEntity("p", Key(1)) { ["V"] = 0 });

        var etags = await table.SubmitAsync(
        [
            new(TableTransactionActionType.UpdateReplace, new TableEntity("p", Key(0)) { ["V"] = 10 }, existing),
            new(TableTransactionActionType.Delete, new TableEntity("p", Key(1))),
            .. Enumerable.Range(2, 98).Select(i => new TableTransactionAction(TableTransactionActionType.UpsertMerge, new TableEntity("p", Key(i)) { ["V"] = i })),
        ]);

        Assert.Equal(100, etags.Count);
        Assert.NotEqual(default, etags[0]);
        Assert.Equal(10, (await table.ReadAsync("p", Key(0))).GetInt32("V"));
        Assert.Null(await table.FindAsync("p", Key(1)));
        Assert.Equal(99, await table.QueryRowsAsync().CountAsync());
    }
}
