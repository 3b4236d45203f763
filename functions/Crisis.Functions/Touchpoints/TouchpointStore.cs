using Azure;
using Azure.Data.Tables;
using Crisis.Functions.Crises;
using Crisis.Functions.Storage;

namespace Crisis.Functions.Touchpoints;

/// <summary>A crisis' override of one touchpoint: active (shown while the crisis is active) or restored (normal content back).</summary>
/// <summary>A crisis override of a touchpoint; its storage ETag guards the restore and is never shown.</summary>
public sealed record OverrideState(string TouchpointId, string CrisisId, bool Active, DateTimeOffset? RestoredAt, string? RestoredBy, [property: System.Text.Json.Serialization.JsonIgnore] ETag ETag);

/// <summary>Why a touchpoint shows what it shows.</summary>
public static class TouchpointSource
{
    public const string Normal = "normal";
    public const string CrisisOverride = "crisis-override";
}

/// <summary>What a touchpoint shows now in every language it has, and the active crisis whose override it is (null for normal content).</summary>
public sealed record ResolvedContent(Touchpoint Touchpoint, CrisisRecord? Crisis, Dictionary<string, string> Texts)
{
    /// <summary>The language shown when the reader's is not among the texts: the crisis' default, else the touchpoint's.</summary>
    public string Fallback
    {
        get
        {
            var preferred = Crisis?.DefaultLanguage ?? Touchpoint.DefaultLanguage;
            return Texts.ContainsKey(preferred) ? preferred : Texts.Keys.First();
        }
    }

    public string Source => Crisis is null ? TouchpointSource.Normal : TouchpointSource.CrisisOverride;
}

/// <summary>What a touchpoint shows now, and why.</summary>
public sealed record CurrentContent(string TouchpointId, TouchpointKind Kind, string Language, string Dir, string Text, string Source, string? CrisisId);

/// <summary>
/// Touchpoints and their crisis overrides. Texts are versioned blob series (<c>{touchpoint}/normal</c>,
/// <c>{touchpoint}/override/{crisis}</c>): nothing is overwritten without a version. Whether an override is in
/// force is a row per (touchpoint, crisis); restoring flips it, and undoing a restore flips it back.
/// </summary>
public sealed class TouchpointStore(CrisisStorage storage, TimeProvider time)
{
    public const string ContainerName = "touchpoints";
    public const string OverrideTable = "touchpointoverrides";

    private readonly VersionedBlobs _blobs = new(storage, ContainerName, time);

    public async Task<Touchpoint?> GetAsync(string id, CancellationToken cancellationToken) =>
        (await _blobs.GetCurrentAsync<Touchpoint>(NormalSeries(id), cancellationToken))?.Document.Content;

    public Task<IReadOnlyList<int>> NormalVersionsAsync(string id, CancellationToken cancellationToken) =>
        _blobs.ListVersionsAsync(NormalSeries(id), cancellationToken);

    public async Task<IReadOnlyList<Touchpoint>> ListAsync(CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(ContainerName, cancellationToken);
        var list = new List<Touchpoint>();
        await foreach (var blob in container.ListAsync(cancellationToken: cancellationToken))
        {
            if (blob.Name.EndsWith("/normal/current.json", StringComparison.Ordinal) && await GetAsync(blob.Name.Split('/')[0], cancellationToken) is { } touchpoint)
            {
                list.Add(touchpoint);
            }
        }

        return list;
    }

    public Task<Versioned<Touchpoint>> SaveAsync(Touchpoint touchpoint, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(touchpoint);
        return _blobs.SaveAsync(NormalSeries(touchpoint.Id), touchpoint, null, actor, cancellationToken);
    }

    /// <summary>Saves a new version of the crisis' override text and puts the override in force.</summary>
    public async Task<Versioned<Dictionary<string, string>>> SaveOverrideAsync(string touchpointId, string crisisId, Dictionary<string, string> text, string actor, CancellationToken cancellationToken)
    {
        var saved = await _blobs.SaveAsync(OverrideSeries(touchpointId, crisisId), text, null, actor, cancellationToken);
        var table = await storage.TableAsync(OverrideTable, cancellationToken);
        await table.UpsertAsync(new TableEntity(touchpointId, crisisId) { ["Active"] = true }, TableUpdateMode.Replace, cancellationToken);
        return saved;
    }

    public async Task<Dictionary<string, string>?> GetOverrideTextAsync(string touchpointId, string crisisId, CancellationToken cancellationToken) =>
        (await _blobs.GetCurrentAsync<Dictionary<string, string>>(OverrideSeries(touchpointId, crisisId), cancellationToken))?.Document.Content;

    public Task<IReadOnlyList<OverrideState>> OverridesAsync(string touchpointId, CancellationToken cancellationToken) =>
        QueryOverridesAsync(TableClient.CreateQueryFilter($"PartitionKey eq {touchpointId}"), cancellationToken);

    /// <summary>Every override of one crisis, across touchpoints.</summary>
    public Task<IReadOnlyList<OverrideState>> OverridesOfCrisisAsync(string crisisId, CancellationToken cancellationToken) =>
        QueryOverridesAsync(TableClient.CreateQueryFilter($"RowKey eq {crisisId}"), cancellationToken);

    /// <summary>Puts an override in or out of force if nobody changed it since it was read; false when someone did.</summary>
    public async Task<bool> SetActiveAsync(OverrideState state, bool active, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var table = await storage.TableAsync(OverrideTable, cancellationToken);
        var row = new TableEntity(state.TouchpointId, state.CrisisId) { ["Active"] = active };
        if (!active)
        {
            row["RestoredAt"] = time.GetUtcNow();
            row["RestoredBy"] = actor;
        }

        try
        {
            await table.UpdateAsync(row, state.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (ChangedMeanwhileException)
        {
            return false;
        }
    }

    /// <summary>What the touchpoint shows now in <paramref name="language"/> (negotiated among its texts), or null when there is no such touchpoint.</summary>
    public async Task<CurrentContent?> CurrentAsync(string touchpointId, string? language, IReadOnlyList<CrisisRecord> crises, CancellationToken cancellationToken)
    {
        if (await ResolveAsync(touchpointId, crises, cancellationToken) is not { } resolved)
        {
            return null;
        }

        var chosen = Common.Languages.Negotiate(language, null, [.. resolved.Texts.Keys], resolved.Fallback);
        return new CurrentContent(touchpointId, resolved.Touchpoint.Kind, chosen, Common.Languages.Direction(chosen), resolved.Texts[chosen], resolved.Source, resolved.Crisis?.Id);
    }

    /// <summary>
    /// What the touchpoint shows now: the override of the active crisis that comes first by precedence (most
    /// severe, then most recently activated), else the normal content.
    /// </summary>
    public async Task<ResolvedContent?> ResolveAsync(string touchpointId, IReadOnlyList<CrisisRecord> crises, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(crises);
        var touchpoint = await GetAsync(touchpointId, cancellationToken);
        if (touchpoint is null)
        {
            return null;
        }

        var active = crises.Where(c => c.Status == CrisisStatus.Active).ToDictionary(c => c.Id);
        var winner = (await OverridesAsync(touchpointId, cancellationToken))
            .Where(o => o.Active && active.ContainsKey(o.CrisisId))
            .Select(o => active[o.CrisisId])
            .OrderByDescending(c => c.Severity)
            .ThenByDescending(c => c.ActivatedAt)
            .FirstOrDefault();
        var texts = winner is null ? null : await GetOverrideTextAsync(touchpointId, winner.Id, cancellationToken);
        return texts is null ? new ResolvedContent(touchpoint, null, touchpoint.Normal) : new ResolvedContent(touchpoint, winner, texts);
    }

    private async Task<IReadOnlyList<OverrideState>> QueryOverridesAsync(string filter, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(OverrideTable, cancellationToken);
        var list = new List<OverrideState>();
        await foreach (var row in table.QueryRowsAsync(filter, cancellationToken: cancellationToken))
        {
            list.Add(Read(row));
        }

        return list;
    }

    private static string NormalSeries(string id) => id + "/normal";

    private static string OverrideSeries(string touchpointId, string crisisId) => $"{touchpointId}/override/{crisisId}";

    private static OverrideState Read(TableEntity row) =>
        new(row.PartitionKey, row.RowKey, row.GetBoolean("Active") == true, row.GetDateTimeOffset("RestoredAt"), row.GetString("RestoredBy"), row.ETag);
}
