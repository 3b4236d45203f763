using Azure;
using Crisis.Functions.Storage;
using Crisis.Functions.Storage.Tables;
using Crisis.Functions.Tests.Infrastructure;

namespace Crisis.Functions.Tests.Storage;

public class TableClientTests
{
    private static readonly DateTimeOffset When = SampleEntities.When;

    [Fact]
    public async Task CreateIfNotExists_reports_whether_it_created_the_table()
    {
        var table = await TestStorage.NewTableAsync();
        Assert.False(await table.CreateIfNotExistsAsync());
    }

    [Fact]
    public async Task Insert_then_point_get_round_trips_every_property_type()
    {
        var table = await TestStorage.NewTableAsync();
        var etag = await table.AddEntityAsync(SampleEntities.AllTypes());
        var read = await table.GetEntityAsync("p", "r");

        Assert.NotEqual(default, etag);
        Assert.Equal(etag, read.ETag);
        Assert.NotNull(read.Timestamp);
        Assert.Equal(SampleEntities.Text, read.GetString("Text"));
        Assert.Equal(42, read.GetInt32("Int"));
        Assert.Equal(SampleEntities.BigNumber, read.GetInt64("Long"));
        Assert.Equal(2.5, read.GetDouble("Double"));
        Assert.Equal(3.0, read["WholeDouble"]);
        Assert.True(read.GetBoolean("Flag"));
        Assert.Equal(When, read.GetDateTimeOffset("When"));
        Assert.Equal(SampleEntities.Id, read.GetGuid("Id"));
        Assert.Equal(SampleEntities.Bytes, read.GetBinary("Bytes"));
    }

    [Fact]
    public async Task Insert_of_existing_keys_is_a_conflict()
    {
        var table = await TestStorage.NewTableAsync();
        await table.AddEntityAsync(SampleEntities.AllTypes());
        var error = await Assert.ThrowsAsync<StorageConflictException>(() => table.AddEntityAsync(SampleEntities.AllTypes()));
        Assert.Equal(409, error.Status);
        Assert.Equal("EntityAlreadyExists", error.ErrorCode);
    }

    [Fact]
    public async Task Missing_entity_is_null_or_not_found()
    {
        var table = await TestStorage.NewTableAsync();
        Assert.Null(await table.GetEntityIfExistsAsync("nope", "nope"));
        await Assert.ThrowsAsync<StorageNotFoundException>(() => table.GetEntityAsync("nope", "nope"));
    }

    [Fact]
    public async Task Keys_with_quotes_and_unicode_are_escaped_in_urls()
    {
        var table = await TestStorage.NewTableAsync();
        var entity = new TableEntity("it's 'quoted'", "ü & % + = ; :,") { ["V"] = 1 };
        await table.AddEntityAsync(entity);
        var read = await table.GetEntityAsync("it's 'quoted'", "ü & % + = ; :,");
        Assert.Equal(1, read.GetInt32("V"));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\nb")]
    public void Keys_with_forbidden_characters_are_refused_before_any_request(string key)
    {
        Assert.Throws<ArgumentException>(() => new TableEntity(key, "r"));
        Assert.Throws<ArgumentException>(() => new TableEntity("p", key));
    }

    [Fact]
    public async Task Upsert_merge_keeps_other_properties_and_replace_drops_them()
    {
        var table = await TestStorage.NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["A"] = "a", ["B"] = "b" });

        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["B"] = "b2" }, TableUpdateMode.Merge);
        var merged = await table.GetEntityAsync("p", "r");
        Assert.Equal("a", merged.GetString("A"));
        Assert.Equal("b2", merged.GetString("B"));

        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["C"] = "c" }, TableUpdateMode.Replace);
        var replaced = await table.GetEntityAsync("p", "r");
        Assert.False(replaced.ContainsKey("A"));
        Assert.Equal("c", replaced.GetString("C"));

        await table.UpsertEntityAsync(new TableEntity("p", "new") { ["C"] = "c" });
        Assert.NotNull(await table.GetEntityIfExistsAsync("p", "new"));
    }

    [Fact]
    public async Task Update_with_a_stale_etag_fails_and_changes_nothing()
    {
        var table = await TestStorage.NewTableAsync();
        var first = await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });
        var second = await table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, first);

        var error = await Assert.ThrowsAsync<StoragePreconditionFailedException>(
            () => table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 3 }, first, TableUpdateMode.Replace));
        Assert.Equal(412, error.Status);
        var read = await table.GetEntityAsync("p", "r");
        Assert.Equal(2, read.GetInt32("V"));
        Assert.Equal(second, read.ETag);
    }

    [Fact]
    public async Task Update_of_a_missing_entity_is_not_found()
    {
        var table = await TestStorage.NewTableAsync();
        await Assert.ThrowsAsync<StorageNotFoundException>(() => table.UpdateEntityAsync(new TableEntity("p", "r"), ETag.All));
    }

    [Fact]
    public async Task Delete_honours_if_match()
    {
        var table = await TestStorage.NewTableAsync();
        var first = await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });
        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["V"] = 2 });

        await Assert.ThrowsAsync<StoragePreconditionFailedException>(() => table.DeleteEntityAsync("p", "r", first));
        Assert.True(await table.DeleteEntityAsync("p", "r"));
        Assert.False(await table.DeleteEntityAsync("p", "r"));
    }

    [Fact]
    public async Task Query_follows_continuation_to_the_end()
    {
        var table = await TestStorage.NewTableAsync();
        for (var batch = 0; batch < 3; batch++)
        {
            await table.SubmitTransactionAsync(Enumerable.Range(batch * 50, 50)
                .Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)) { ["N"] = i }))
                .ToList());
        }

        var all = await table.QueryAsync(maxPerPage: 7).ToListAsync();
        Assert.Equal(150, all.Count);
        Assert.Equal(Enumerable.Range(0, 150), all.Select(e => e.GetInt32("N")!.Value));

        var page = await table.QueryPageAsync(null, null, 7, null);
        Assert.Equal(7, page.Entities.Count);
        Assert.NotNull(page.ContinuationToken);
        var next = await table.QueryPageAsync(null, null, 7, page.ContinuationToken);
        Assert.Equal(7, next.Entities[0].GetInt32("N"));
    }

    [Fact]
    public async Task Query_applies_filter_select_and_typed_literals()
    {
        var table = await TestStorage.NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "a") { ["N"] = 1, ["Big"] = 5L, ["At"] = When, ["Other"] = "x" });
        await table.AddEntityAsync(new TableEntity("p", "b") { ["N"] = 2, ["Big"] = 6L, ["At"] = When.AddDays(1), ["Other"] = "y" });
        await table.AddEntityAsync(new TableEntity("q", "c") { ["N"] = 3, ["Big"] = 7L, ["At"] = When, ["Other"] = "z" });

        var rows = await table.QueryAsync(
            TableFilter.Of($"PartitionKey eq {"p"} and Big gt {5L} and At gt {When}"),
            select: ["N"]).ToListAsync();

        var row = Assert.Single(rows);
        Assert.Equal("b", row.RowKey);
        Assert.Equal(2, row.GetInt32("N"));
        Assert.False(row.ContainsKey("Other"));
    }

    [Fact]
    public async Task Filter_values_cannot_inject_odata()
    {
        var table = await TestStorage.NewTableAsync();
        await table.AddEntityAsync(new TableEntity("secret", "1"));
        await table.AddEntityAsync(new TableEntity("mine", "1"));

        var hostile = "mine' or PartitionKey ne '";
        var rows = await table.QueryAsync(TableFilter.Of($"PartitionKey eq {hostile}")).ToListAsync();

        Assert.Empty(rows);
    }

    [Fact]
    public async Task Row_key_prefix_filter_selects_exactly_the_prefix()
    {
        var table = await TestStorage.NewTableAsync();
        foreach (var key in new[] { "update-1", "update-2", "updatf", "upd", "other" })
        {
            await table.AddEntityAsync(new TableEntity("p", key));
        }

        var rows = await table.QueryAsync(TableFilter.PartitionWithRowKeyPrefix("p", "update-")).ToListAsync();
        Assert.Equal(["update-1", "update-2"], rows.Select(r => r.RowKey));
    }

    [Fact]
    public async Task Transaction_of_100_mixed_actions_applies_atomically()
    {
        var table = await TestStorage.NewTableAsync();
        var existing = await table.AddEntityAsync(new TableEntity("p", "000") { ["V"] = 0 });
        await table.AddEntityAsync(new TableEntity("p", "001") { ["V"] = 0 });

        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, new TableEntity("p", "000") { ["V"] = 10 }, existing),
            new(TableTransactionActionType.Delete, new TableEntity("p", "001")),
        };
        actions.AddRange(Enumerable.Range(2, 98).Select(i => new TableTransactionAction(
            TableTransactionActionType.UpsertMerge, new TableEntity("p", i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)) { ["V"] = i })));

        var etags = await table.SubmitTransactionAsync(actions);

        Assert.Equal(100, etags.Count);
        Assert.NotEqual(default, etags[0]);
        Assert.Equal(10, (await table.GetEntityAsync("p", "000")).GetInt32("V"));
        Assert.Null(await table.GetEntityIfExistsAsync("p", "001"));
        Assert.Equal(99, await table.QueryAsync().CountAsync());
    }

    [Fact]
    public async Task Failing_action_rolls_back_the_whole_transaction_and_names_its_index()
    {
        var table = await TestStorage.NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "taken"));

        var error = await Assert.ThrowsAsync<StorageConflictException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("p", "fresh")),
            new(TableTransactionActionType.Add, new TableEntity("p", "taken")),
        ]));

        Assert.Equal(1, error.FailedActionIndex);
        Assert.Null(await table.GetEntityIfExistsAsync("p", "fresh"));
    }

    [Fact]
    public async Task Transaction_limits_are_enforced_before_sending()
    {
        var table = await TestStorage.NewTableAsync();
        TableTransactionAction Add(string pk, string rk) => new(TableTransactionActionType.Add, new TableEntity(pk, rk));

        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync(
            Enumerable.Range(0, 101).Select(i => Add("p", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList()));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync([Add("p", "1"), Add("q", "2")]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync([Add("p", "1"), Add("p", "1")]));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync([]));

        var big = new string('x', 30_000);
        var heavy = Enumerable.Range(0, 100).Select(i =>
        {
            var entity = new TableEntity("p", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            for (var j = 0; j < 2; j++)
            {
                entity["S" + j] = big;
            }

            return new TableTransactionAction(TableTransactionActionType.Add, entity);
        }).ToList();
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync(heavy));

        Assert.Empty(await table.QueryAsync().ToListAsync());
    }

    [Fact]
    public void Values_the_service_cannot_store_are_refused()
    {
        var entity = new TableEntity("p", "r");
        Assert.Throws<ArgumentException>(() => entity["Decimal"] = 1.5m);
        Assert.Throws<ArgumentException>(() => entity["Long"] = new string('x', EntityJson.MaxStringLength + 1));
        Assert.Throws<ArgumentException>(() => entity["bad name"] = "x");
        Assert.Throws<ArgumentException>(() => entity["PartitionKey"] = "x");
    }

    [Fact]
    public async Task Wrong_account_key_is_refused_with_403()
    {
        var azurite = await TestAzurite.GetAsync();
        var forged = azurite.ConnectionString.Replace("AccountKey=Eby8", "AccountKey=AAAA", StringComparison.Ordinal);
        var table = new TableServiceClient(TestStorage.Pipeline(forged, StorageService.Table)).GetTableClient("forged");

        var error = await Assert.ThrowsAsync<StorageRequestException>(() => table.CreateIfNotExistsAsync());
        Assert.Equal(403, error.Status);
    }
}
