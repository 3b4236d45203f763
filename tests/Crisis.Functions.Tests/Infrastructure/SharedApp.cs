namespace Crisis.Functions.Tests.Infrastructure;

/// <summary>
/// One app for every test of a class (<c>IClassFixture&lt;SharedApp&gt;</c>): tests that share it work on crises and
/// contacts of their own, so they stay independent.
/// </summary>
public sealed class SharedApp : IAsyncLifetime
{
    private CrisisAppFactory? _app;

    public CrisisAppFactory App => _app ?? throw new InvalidOperationException("The app has not started.");

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = await CrisisAppFactory.CreateAsync();
        Admin = _app.CreateAdminClient();
        Client = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Client.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
