using Crisis.Functions.Host.Cli;
using Crisis.Functions.Host.Local;

var commandLine = CommandLine.Parse(args);
if (commandLine.Options is not { } options)
{
    await Console.Error.WriteLineAsync(commandLine.Error);
    return 2;
}

if (!commandLine.Local)
{
    return await ConsoleHost.RunAsync(options, Console.Out, Console.Error);
}

await using var local = await LocalRun.StartAsync(options.AppSettings);
return await ConsoleHost.RunAsync(options with { AppSettings = local.Settings }, Console.Out, Console.Error, local.Describe);
