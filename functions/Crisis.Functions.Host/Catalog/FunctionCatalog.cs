using Crisis.Functions.Host.FunctionApp;
using Crisis.Functions.Host.Protocol;
using Crisis.Functions.Host.Timers;

namespace Crisis.Functions.Host.Catalog;

/// <summary>Turns the worker's function metadata into the functions this host triggers.</summary>
internal sealed class FunctionCatalog(string routePrefix, AppSettingResolver settings, bool requireSchedules)
{
    public IReadOnlyList<FunctionRegistration> Build(IEnumerable<RpcFunctionMetadata> indexed) =>
        [.. indexed.Select(Register)];

    private FunctionRegistration Register(RpcFunctionMetadata indexed)
    {
        var bindings = indexed.RawBindings.Select(json => RawBinding.Parse(indexed.Name, json)).ToList();
        var trigger = bindings.FirstOrDefault(binding => binding.IsTrigger)
            ?? throw new LocalHostException($"Function '{indexed.Name}' has no trigger binding.");

        var load = new RpcFunctionMetadata
        {
            Name = indexed.Name,
            FunctionId = indexed.FunctionId,
            Directory = indexed.Directory,
            ScriptFile = indexed.ScriptFile,
            EntryPoint = indexed.EntryPoint,
            Language = indexed.Language,
        };
        load.Properties.Add(indexed.Properties);
        foreach (var binding in bindings)
        {
            load.Bindings[binding.Name] = binding.ToBindingInfo();
        }

        return new FunctionRegistration(Describe(indexed, trigger), load);
    }

    private HostedFunction Describe(RpcFunctionMetadata indexed, RawBinding trigger)
    {
        if (trigger.Type.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase))
        {
            // The worker maps "{routePrefix}/{route}", the function name standing in for a missing route.
            var route = (trigger.Route ?? indexed.Name).TrimStart('/');
            return new HostedFunction
            {
                Name = indexed.Name,
                FunctionId = indexed.FunctionId,
                TriggerKind = FunctionTriggerKind.Http,
                TriggerBindingName = trigger.Name,
                Route = routePrefix.Length == 0 ? route : $"{routePrefix}/{route}",
                Methods = [.. trigger.Methods.Select(method => method.ToUpperInvariant())],
                AuthLevel = trigger.AuthLevel,
            };
        }

        if (trigger.Type.Equals("timerTrigger", StringComparison.OrdinalIgnoreCase))
        {
            var schedule = trigger.Schedule
                ?? throw new LocalHostException($"Timer function '{indexed.Name}' has no schedule.");
            var (resolved, missingSetting) = settings.Resolve(schedule);
            if (missingSetting is not null && requireSchedules)
            {
                throw UndefinedSetting(indexed.Name, schedule, missingSetting);
            }

            if (resolved is not null)
            {
                TimerSchedule.Parse(indexed.Name, resolved);
            }

            return new HostedFunction
            {
                Name = indexed.Name,
                FunctionId = indexed.FunctionId,
                TriggerKind = FunctionTriggerKind.Timer,
                TriggerBindingName = trigger.Name,
                Schedule = schedule,
                ResolvedSchedule = resolved,
            };
        }

        return new HostedFunction
        {
            Name = indexed.Name,
            FunctionId = indexed.FunctionId,
            TriggerKind = FunctionTriggerKind.Other,
            TriggerBindingName = trigger.Name,
        };
    }

    public static LocalHostException UndefinedSetting(string functionName, string schedule, string setting) =>
        new($"Timer function '{functionName}' has schedule '{schedule}', but the app setting '{setting}' is not defined. Pass --{setting}=<NCRONTAB expression> or set the environment variable {setting}.");
}
