using Sev;
using Serilog.Events;
using SevShim.Agent;
using SevShim.Config;
using SevShim.Confidential;
using SevShim.Errors;
using SevShim.Tests.Boot;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Tests.Confidential;

public sealed class GuestSevVerifierTests
{
    private const string SevLine = "Memory Encryption Features active: AMD SEV";
    private const string SevEsLine = "Memory Encryption Features active: AMD SEV SEV-ES";

    [Theory]
    [InlineData("Sev", 0x1UL, SevLine)]
    [InlineData("Sev", 0x3UL, SevEsLine)]
    [InlineData("SevEs", 0x3UL, SevEsLine)]
    [InlineData("SevSnp", 0x7UL, "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP")]
    [InlineData("Sev", 0x1UL, "")]
    public void TheRequestedModeShownByEverySourceIsActive(string mode, ulong msr, string line)
    {
        var verdict = GuestSevVerifier.Evaluate(Enum.Parse<SevMode>(mode), Map(Known(msr, line)));
        Assert.True(verdict.Active, verdict.Evidence);
        Assert.Contains($"0x{msr:x}", verdict.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void TcgGuestWithAZeroMsrIsNotActiveAndSaysSo()
    {
        var verdict = GuestSevVerifier.Evaluate(SevMode.Sev, Map(Known(0, string.Empty)));
        Assert.False(verdict.Active);
        Assert.Equal("no memory encryption", verdict.Seen);
    }

    [Fact]
    public void SevEsRequestedButOnlySevSeenIsRefused()
    {
        var verdict = GuestSevVerifier.Evaluate(SevMode.SevEs, Map(Known(0x1, SevLine)));
        Assert.False(verdict.Active);
        Assert.Equal("SEV", verdict.Seen);
    }

    [Fact]
    public void UnknownStatusWithoutAKernelLineIsNeverActive()
    {
        var status = new Proto.SevStatus { State = Proto.SevStatus.Types.State.Unknown, Reason = "/dev/cpu/0/msr is absent" };
        var verdict = GuestSevVerifier.Evaluate(SevMode.Sev, Map(status));
        Assert.False(verdict.Active);
        Assert.Equal("unknown", verdict.Seen);
        Assert.Contains("/dev/cpu/0/msr is absent", verdict.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void NoStatusAtAllIsNeverActive()
    {
        var verdict = GuestSevVerifier.Evaluate(SevMode.SevSnp, null);
        Assert.False(verdict.Active);
        Assert.Contains("no SEV status", verdict.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void TheKernelLineAloneCountsWhenTheMsrIsUnreadable()
    {
        var status = new Proto.SevStatus { State = Proto.SevStatus.Types.State.Unknown, Reason = "EIO", KernelMessage = SevLine };
        Assert.True(GuestSevVerifier.Evaluate(SevMode.Sev, Map(status)).Active);
        Assert.False(GuestSevVerifier.Evaluate(SevMode.SevEs, Map(status)).Active);
    }

    [Fact]
    public void SourcesThatDisagreeAreRefusedWithBothNamed()
    {
        var verdict = GuestSevVerifier.Evaluate(SevMode.Sev, Map(Known(0x1, "Memory Encryption Features active: Intel TDX")));
        Assert.False(verdict.Active);
        Assert.Contains("SEV (SEV_STATUS)", verdict.Seen, StringComparison.Ordinal);
        Assert.Contains("no memory encryption (kernel line)", verdict.Seen, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AMD Memory Encryption Features active: SEV SEV-ES", 3)]
    [InlineData("AMD Secure Encrypted Virtualization (SEV) active", 1)]
    [InlineData("Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP", 7)]
    [InlineData("Memory Encryption Features active: Intel TDX", 0)]
    public void KernelLinesOfEveryKernelGenerationAreRead(string line, int expected) =>
        Assert.Equal((GuestSevFeatures)expected, KernelEncryptionLine.Parse(line));

    [Theory]
    [InlineData("")]
    [InlineData("Linux version 6.1.0")]
    public void OtherLinesAreNoEvidence(string line) => Assert.Null(KernelEncryptionLine.Parse(line));

    [Fact]
    public void RefusalNamesRequestedAndSeenModes()
    {
        var info = new Proto.GuestInfo { Sev = Known(0x1, SevLine) };
        var config = new ShimConfig { Confidential = SevMode.SevSnp };
        var ex = Assert.Throws<ShimException>(() => GuestSevVerifier.Require(config, AgentProtoMapper.FromProto(info), new FakeLogSink().CreateLogger()));
        Assert.Equal(ShimErrorKind.FailedPrecondition, ex.Kind);
        Assert.Contains("confidential.mode = \"sev-snp\" was requested", ex.Message, StringComparison.Ordinal);
        Assert.Contains("runs with SEV (", ex.Message, StringComparison.Ordinal);
        Assert.Contains("stopped", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AVerifiedGuestIsLoggedWithItsEvidence()
    {
        var sink = new FakeLogSink();
        GuestSevVerifier.Require(new ShimConfig { Confidential = SevMode.Sev }, AgentProtoMapper.FromProto(new Proto.GuestInfo { Sev = Known(0x1, SevLine) }), sink.CreateLogger());
        var entry = Assert.Single(sink.Events);
        Assert.Equal(LogEventLevel.Information, entry.Level);
        Assert.Contains("0x1", entry.RenderMessage(null), StringComparison.Ordinal);
    }

    [Fact]
    public void ModeNoneNeedsNoVerification()
    {
        var sink = new FakeLogSink();
        var error = Record.Exception(() => GuestSevVerifier.Require(new ShimConfig { Confidential = SevMode.None }, AgentProtoMapper.FromProto(new Proto.GuestInfo()), sink.CreateLogger()));
        Assert.Null(error);
        Assert.Empty(sink.Events);
    }

    // Through the shim's own mapping of the agent's answer, as the boot path reads it.
    private static GuestSevStatus? Map(Proto.SevStatus status) => AgentProtoMapper.FromProto(new Proto.GuestInfo { Sev = status }).Sev;

    private static Proto.SevStatus Known(ulong msr, string line) => new()
    {
        State = Proto.SevStatus.Types.State.Known,
        MsrValue = msr,
        Sev = (msr & 1) != 0,
        SevEs = (msr & 2) != 0,
        Snp = (msr & 4) != 0,
        KernelMessage = line,
    };
}
