using Crisis.Functions.Host.Protocol;

namespace Crisis.Functions.Host.Catalog;

/// <summary>A function the host loads into the worker: its public description and the metadata of its FunctionLoadRequest.</summary>
internal sealed record FunctionRegistration(HostedFunction Function, RpcFunctionMetadata LoadMetadata)
{
    public FunctionLoadRequest ToLoadRequest() => new() { FunctionId = Function.FunctionId, Metadata = LoadMetadata };
}
