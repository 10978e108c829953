using Sev;
using Serilog.Events;
using SevShim.Config;
using SevShim.Errors;
using SevShim.Sandbox;

namespace SevShim.Tests.Boot;

public sealed class UnencryptedPodWarningTests
{
    [Fact]
    public void ModeNoneLogsAStructuredWarningNamingTheKeyAndTheFix()
    {
        var sink = new FakeLogSink();
        var config = new ShimConfig { Confidential = SevMode.None, SourcePath = "/etc/sevshim/config.toml" };

        Assert.True(UnencryptedPodWarning.LogIfUnencrypted(config, sink.CreateLogger()));

        var warning = Assert.Single(sink.Events);
        Assert.Equal(LogEventLevel.Warning, warning.Level);
        Assert.Equal("confidential.mode", FakeLogSink.Property(warning, "ConfigKey"));
        Assert.Equal("/etc/sevshim/config.toml", FakeLogSink.Property(warning, "ConfigSource"));
        Assert.Contains("confidential.mode = \"sev\"", (string)FakeLogSink.Property(warning, "Fix")!, StringComparison.Ordinal);
        Assert.Contains("NOT encrypted", warning.RenderMessage(null), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Sev")]
    [InlineData("SevEs")]
    [InlineData("SevSnp")]
    public void ConfidentialModesLogNothing(string mode)
    {
        var sink = new FakeLogSink();
        var config = new ShimConfig { Confidential = Enum.Parse<SevMode>(mode) };
        Assert.False(UnencryptedPodWarning.LogIfUnencrypted(config, sink.CreateLogger()));
        Assert.Empty(sink.Events);
    }

    [Fact]
    public async Task EveryPodBootWithModeNoneWarnsBeforeAnythingElseCanFail()
    {
        // The boot stops early (no guest kernel at this path), after the warning: the warning is
        // part of every pod start, not of a successful one only.
        var sink = new FakeLogSink();
        var state = Directory.CreateTempSubdirectory("sevshim-warn-");
        try
        {
            var config = new ShimConfig
            {
                Confidential = SevMode.None,
                Rootfs = RootfsMode.Shared,
                KernelPath = Path.Combine(state.FullName, "no-such-vmlinuz"),
            };
            var ex = await Assert.ThrowsAsync<ShimException>(() => QemuSandbox.BootAsync(
                "pod1", config, new QemuSandboxOptions { StateRoot = state.FullName }, sink.CreateLogger(), CancellationToken.None));
            Assert.Contains("vm.kernel", ex.Message, StringComparison.Ordinal);
            Assert.Contains(sink.Events, e => e.Level == LogEventLevel.Warning && FakeLogSink.Property(e, "ConfigKey") is "confidential.mode");
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }
}
