using Sev;
using System.Text.Json.Nodes;
using Sev.Attestation;
using Sev.Measurement;
using Sev.Tests.Attestation;
using SevShim.Config;
using SevShim.Confidential;
using SevShim.Errors;
using SevShim.Tests.Boot;
using TestSupport;

namespace SevShim.Tests.Confidential;

/// <summary>
/// The sandbox's pre-attestation step: inputs from the configuration (keys, computed digest) and
/// the QMP exchange with a peer replaying QEMU's messages for a paused SEV guest.
/// </summary>
public sealed class PreAttestationStepTests : IDisposable
{
    // sev-snp-measure's SEV vector (SEV.md 4.6): the AmdSev suffix image, empty kernel and initrd,
    // this command line.
    private const string VectorAppend = "console=ttyS0 loglevel=7";
    private const string VectorDigest = "82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff";
    private static readonly byte[] Tik = Convert.FromHexString("3569cf61a32a602b87185ac6e0f55913");
    private static readonly byte[] Tek = Convert.FromHexString("0f0e0d0c0b0a09080706050403020100");
    private static readonly byte[] Nonce = Convert.FromHexString("c313fab511c216b1505b1b2ea9903c40");
    private static readonly SevPlatformInfo Platform = new(1, 40, 40, 0x3);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevshim-preatt-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void TheDigestIsComputedFromWhatQemuBoots()
    {
        var request = PreAttestationInputs.Build(Config(), Empty("vmlinuz"), Empty("initrd.img"), VectorAppend, 0x3);
        Assert.Equal(VectorDigest, Convert.ToHexStringLower(Assert.Single(request.AcceptedDigests).Span));
        Assert.Equal(Tik, request.Tik.ToArray());
        Assert.Equal(0x3u, request.ExpectedPolicy);
        Assert.Empty(request.Secrets);
    }

    [Fact]
    public void ConfiguredDigestsReplaceTheComputedOne()
    {
        var config = Config() with { LaunchDigests = [new string('c', 64)] };
        var request = PreAttestationInputs.Build(config, Empty("vmlinuz"), Empty("initrd.img"), VectorAppend, 0x3);
        Assert.Equal(new string('c', 64), Convert.ToHexStringLower(Assert.Single(request.AcceptedDigests).Span));
    }

    [Fact]
    public void AKeyFileOfTheWrongSizeIsRefusedNamingTheKey()
    {
        var tik = Path.Combine(_dir.FullName, "short_tik.bin");
        File.WriteAllBytes(tik, new byte[15]);
        var ex = Assert.Throws<ShimException>(() => PreAttestationInputs.Build(Config() with { TikFile = tik }, Empty("k"), Empty("i"), VectorAppend, 0x3));
        Assert.Contains("confidential.tik_file", ex.Message, StringComparison.Ordinal);
        Assert.Contains("15 bytes, not 16", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingSecretFileIsRefusedNamingTheKey()
    {
        var config = Config() with { TekFile = Write("vm_tek.bin", Tek), SecretFile = Path.Combine(_dir.FullName, "absent"), SecretGuid = Guid.NewGuid() };
        var ex = Assert.Throws<ShimException>(() => PreAttestationInputs.Build(config, Empty("k"), Empty("i"), VectorAppend, 0x3));
        Assert.Contains("confidential.secret_file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMatchingLaunchContinuesTheGuestAndLogsNoSecret()
    {
        var secret = "owner-secret-value-42"u8.ToArray();
        var config = Config() with { TekFile = Write("vm_tek.bin", Tek), SecretFile = Write("secret.bin", secret), SecretGuid = Guid.NewGuid() };
        var request = PreAttestationInputs.Build(config, Empty("vmlinuz"), Empty("initrd.img"), VectorAppend, 0x3);
        var blob = LaunchMeasure.ComputeBlob(Tik, Platform, Convert.FromHexString(VectorDigest), Nonce);
        await using var peer = new FakeQmpPeer(r => Replay(r, blob));
        var sink = new FakeLogSink();

        await PreAttestationStep.RunAsync(config, peer.SocketPath, request, new TaskCompletionSource().Task, () => "console", sink.CreateLogger(), CancellationToken.None);

        Assert.Equal(["query-sev", "query-sev-launch-measure", "sev-inject-launch-secret", "cont"], peer.Commands);
        var log = string.Join('\n', sink.Events.Select(e => e.RenderMessage(null)));
        Assert.Contains(VectorDigest, log, StringComparison.Ordinal);
        Assert.DoesNotContain("owner-secret-value-42", log, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(Tik), log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexStringLower(Tek), log, StringComparison.OrdinalIgnoreCase);

        // The step wipes the keys it read once it is done.
        Assert.All(request.Tik.ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task AWrongMeasurementFailsCreateWithBothDigestsAndNoCont()
    {
        // QEMU booted another command line than the one the shim measured.
        var config = Config();
        var request = PreAttestationInputs.Build(config, Empty("vmlinuz"), Empty("initrd.img"), VectorAppend + " init=/bin/sh", 0x3);
        var expected = Convert.ToHexStringLower(Assert.Single(request.AcceptedDigests).Span);
        var blob = LaunchMeasure.ComputeBlob(Tik, Platform, Convert.FromHexString(VectorDigest), Nonce);
        await using var peer = new FakeQmpPeer(r => Replay(r, blob));

        var ex = await Assert.ThrowsAsync<ShimException>(() => PreAttestationStep.RunAsync(
            config, peer.SocketPath, request, new TaskCompletionSource().Task, () => "console", new FakeLogSink().CreateLogger(), CancellationToken.None));

        Assert.Equal(ShimErrorKind.FailedPrecondition, ex.Kind);
        Assert.Contains("destroyed", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(blob.AsSpan(0, 32)), ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cont", peer.Commands);
    }

    [Fact]
    public async Task QemuThatExitedBeforeItsSocketAppearedIsReported()
    {
        var request = PreAttestationInputs.Build(Config(), Empty("vmlinuz"), Empty("initrd.img"), VectorAppend, 0x3);
        var ex = await Assert.ThrowsAsync<ShimException>(() => PreAttestationStep.RunAsync(
            Config(), Path.Combine(_dir.FullName, "qmp.sock"), request, Task.CompletedTask, () => "QEMU: sev-guest: failed to open /dev/sev", new FakeLogSink().CreateLogger(), CancellationToken.None));
        Assert.Equal(ShimErrorKind.Unavailable, ex.Kind);
        Assert.Contains("/dev/sev", ex.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string>? Replay(JsonObject r, byte[] blob) => r["execute"]!.GetValue<string>() switch
    {
        "query-sev" => [FakeQmpPeer.Return(r, FakeQmpPeer.SevInfo(1, 40, 40, 0x3))],
        "query-sev-launch-measure" => [FakeQmpPeer.Return(r, $"{{\"data\": \"{Convert.ToBase64String(blob)}\"}}")],
        "sev-inject-launch-secret" or "cont" => [FakeQmpPeer.Return(r, "{}")],
        var other => [FakeQmpPeer.Error(r, "CommandNotFound", $"The command {other} has not been found")],
    };

    private ShimConfig Config() => new()
    {
        Confidential = SevMode.Sev,
        Attestation = AttestationMode.Pre,
        FirmwarePath = Path.Combine(RepoPaths.Vectors, "sev-snp-measure", "ovmf_AmdSev_suffix.bin"),
        TikFile = Write("vm_tik.bin", Tik),
        SessionFile = "/unused/session.b64",
        DhCertFile = "/unused/godh.b64",
        BootTimeout = TimeSpan.FromSeconds(60),
    };

    private string Empty(string name) => Write(name, []);

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
