using SevShim.Hosting;

namespace SevShim.Tests.Hosting;

public sealed class ConfigVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sevshim-verb-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void ConfigPrintsTheEffectiveToml()
    {
        var file = Path.Combine(_dir, "c.toml");
        File.WriteAllText(file, "[vm]\nvcpus = 3\n");
        var env = new ShimEnvironment(new Dictionary<string, string> { ["SEVSHIM_CONFIG"] = file }, _dir, "/x");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(0, AdminCommands.Config([], env, stdout, stderr));
        Assert.Contains("vcpus = 3", stdout.ToString());
        Assert.Contains(file, stdout.ToString());
        Assert.Equal(string.Empty, stderr.ToString());
    }

    [Fact]
    public void ConfigReportsErrorsAndFails()
    {
        var file = Path.Combine(_dir, "bad.toml");
        File.WriteAllText(file, "[vm]\nvcpus = 0\n");
        var env = new ShimEnvironment(new Dictionary<string, string>(), _dir, "/x");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(1, AdminCommands.Config([file], env, stdout, stderr));
        Assert.Contains("vm.vcpus", stderr.ToString());
    }

    [Fact]
    public void VersionPrintsGoStyleLines()
    {
        using var stdout = new StringWriter();
        Assert.Equal(0, AdminCommands.Version(stdout));
        var lines = stdout.ToString().Split('\n');
        Assert.Equal("containerd-shim-sevshim-v2:", lines[0]);
        Assert.StartsWith("  Version:  ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("  Revision: ", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckReportsABrokenConfigurationAndRefusesAnUnknownFlag()
    {
        var file = Path.Combine(_dir, "broken.toml");
        File.WriteAllText(file, "[vm]\nno_such_key = 1\n");
        var env = new ShimEnvironment(new Dictionary<string, string> { ["SEVSHIM_CONFIG"] = file }, _dir, "/x");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(2, await AdminCommands.CheckAsync(["--no-such-flag"], env, stdout, stderr));
        Assert.Contains("configuration ignored", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("no_such_key", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("--no-such-flag", stderr.ToString(), StringComparison.Ordinal);
    }
}
