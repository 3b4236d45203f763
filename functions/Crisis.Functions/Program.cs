using Crisis.Functions.Access;
using Crisis.Functions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;

// `hash-key`: prints the SHA-256 to configure for an API key read from standard input.
if (args is ["hash-key"])
{
    Console.WriteLine(ApiKeyAuthenticationHandler.Hash((Console.In.ReadLine() ?? "").Trim()));
    return;
}

var builder = FunctionsApplication.CreateBuilder(args);
builder.AddCrisisFunctions();
await builder.Build().RunAsync();
