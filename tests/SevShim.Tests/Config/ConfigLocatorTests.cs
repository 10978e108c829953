using SevShim.Config;

namespace SevShim.Tests.Config;

public sealed class ConfigLocatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sevshim-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void RuntimeOptionWinsOverEnvironment()
    {
        var s = ConfigLocator.Resolve("/a.toml", _ => "/b.toml");
        Assert.Equal("/a.toml", s.Path);
        Assert.True(s.Explicit);
        Assert.Contains("ConfigPath", s.Origin);
    }

    [Fact]
    public void EnvironmentWinsOverDefault()
    {
        var s = ConfigLocator.Resolve(null, n => n == "SEVSHIM_CONFIG" ? "/b.toml" : null);
        Assert.Equal("/b.toml", s.Path);
        Assert.Contains("SEVSHIM_CONFIG", s.Origin);
    }

    [Fact]
    public void DefaultIsEtcSevshim()
    {
        var s = ConfigLocator.Resolve(string.Empty, _ => null);
        Assert.Equal("/etc/sevshim/config.toml", s.Path);
        Assert.False(s.Explicit);
    }

    [Fact]
    public void RelativePathIsRefused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLocator.Resolve("conf.toml", _ => null));
        Assert.Contains("'conf.toml'", e.Message);
        Assert.Contains("absolute", e.Message);
    }

    [Fact]
    public void MissingDefaultFileGivesDefaults()
    {
        var c = ConfigLocator.Load(new ConfigSource(Path.Combine(_dir, "absent.toml"), "default location", false));
        Assert.Same(ShimConfig.Defaults, c);
    }

    [Fact]
    public void MissingExplicitFileIsAnError()
    {
        var path = Path.Combine(_dir, "absent.toml");
        var e = Assert.Throws<ConfigException>(() => ConfigLocator.Load(new ConfigSource(path, "environment variable SEVSHIM_CONFIG", true)));
        Assert.Contains(path, e.Message);
        Assert.Contains("SEVSHIM_CONFIG", e.Message);
    }

    [Fact]
    public void ExistingFileIsParsed()
    {
        var path = Path.Combine(_dir, "c.toml");
        File.WriteAllText(path, "[vm]\nvcpus = 7\n");
        var c = ConfigLocator.Load(new ConfigSource(path, "test", true));
        Assert.Equal(7, c.Vcpus);
        Assert.Equal(path, c.SourcePath);
    }
}
