using Sev;
using SevShim.Config;

namespace SevShim.Tests.Config;

public sealed class ConfigTomlWriterTests
{
    [Fact]
    public void DefaultsRoundTrip()
    {
        var text = ConfigTomlWriter.Write(ShimConfig.Defaults, null);
        Assert.Contains("mode = \"sev\"", text);
        Assert.Contains("# policy = 0x3", text);
        Assert.Equal(ShimConfig.Defaults with { SourcePath = "x" }, ConfigParser.Parse(text, "x"));
    }

    [Fact]
    public void OverridesRoundTrip()
    {
        var config = ShimConfig.Defaults with
        {
            SourcePath = "/c.toml",
            QemuPath = "/opt/my \"odd\" path\\q",
            Confidential = SevMode.SevEs,
            SevPolicyOverride = 0x5,
            SwiotlbSlabsOverride = 4096,
            AgentTransport = AgentTransport.VirtioSerial,
            BootTimeout = TimeSpan.FromSeconds(9),
            LogLevel = ShimLogLevel.Trace,
        };
        var text = ConfigTomlWriter.Write(config, new ConfigSource("/c.toml", "test", true));
        Assert.Contains("policy = 0x5", text);
        Assert.Contains("/c.toml (test)", text);
        Assert.Equal(config, ConfigParser.Parse(text, "/c.toml"));
    }

    // Without encryption either rootfs mode is allowed ("shared" with a confidential mode is a
    // configuration error, ConfigParserTests), and "block" is then not the default.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RootfsModesOfAnUnencryptedPodRoundTrip(bool shared)
    {
        var config = ShimConfig.Defaults with
        {
            SourcePath = "/c.toml",
            Confidential = SevMode.None,
            Rootfs = shared ? RootfsMode.Shared : RootfsMode.Block,
        };
        var text = ConfigTomlWriter.Write(config, new ConfigSource("/c.toml", "test", true));
        Assert.Equal(config, ConfigParser.Parse(text, "/c.toml"));
    }
}
