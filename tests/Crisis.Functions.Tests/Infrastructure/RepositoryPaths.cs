namespace Crisis.Functions.Tests.Infrastructure;

public static class RepositoryPaths
{
    /// <summary>The repository root: the folder holding Crisis.Functions.sln, found upward from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string Functions => Path.Combine(Root, "functions");

    public static string AppProject => Path.Combine(Root, "functions", "Crisis.Functions");

    /// <summary>The app's build output: what the Functions host loads (functions.metadata, worker.config.json, the assembly).</summary>
    public static string AppOutput => Path.Combine(AppProject, "bin", BuildConfiguration, "net10.0");

    /// <summary>The configuration (Debug or Release) these tests were built in, and so the app beside them.</summary>
    public static string BuildConfiguration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crisis.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Crisis.Functions.sln) above " + AppContext.BaseDirectory);
    }
}
