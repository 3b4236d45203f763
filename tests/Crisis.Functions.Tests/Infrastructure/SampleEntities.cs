using Azure.Data.Tables;

namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>One value of every EDM type the Table service stores, including the awkward ones.</summary>
public static class SampleEntities
{
    public const string Text = "Grüße, نشانی, ગુજરાતી, 😀";
    public const long BigNumber = 9_007_199_254_740_993L;
    public static readonly DateTimeOffset When = new(2026, 3, 14, 15, 9, 26, 535, TimeSpan.Zero);
    public static readonly Guid Id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
    public static readonly byte[] Bytes = [0, 1, 2, 254, 255];

    public static TableEntity AllTypes(string partitionKey = "p", string rowKey = "r") => new(partitionKey, rowKey)
    {
        ["Text"] = Text,
        ["Int"] = 42,
        ["Long"] = BigNumber,
        ["Double"] = 2.5,
        ["WholeDouble"] = 3.0,
        ["Flag"] = true,
        ["When"] = When,
        ["Id"] = Id,
        ["Bytes"] = Bytes,
    };
}
