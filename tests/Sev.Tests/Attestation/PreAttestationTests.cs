using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Qemu;
using Sev.Attestation;
using Sev.Measurement;

namespace Sev.Tests.Attestation;

/// <summary>The pre-attestation flow against a QMP peer replaying QEMU's documented messages.</summary>
public sealed class PreAttestationTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    // SEV.md 4.1/5.3 "another LAUNCH_MEASURE vector" (virtee/sev): LD = SHA-256(""), API 0.18,
    // build 15, policy 0, this TIK and MNONCE give this HMAC.
    private static readonly byte[] VectorTik = Convert.FromHexString("66320db73158a35a255d051758e95ed4");
    private static readonly byte[] VectorNonce = Convert.FromHexString("4fbe0bedbad6c86ae8f68971d103e554");
    private static readonly byte[] VectorMeasure = Convert.FromHexString("6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea");
    private static readonly byte[] VectorDigest = SHA256.HashData([]);

    private static string VectorBlob => Convert.ToBase64String([.. VectorMeasure, .. VectorNonce]);

    [Fact]
    public async Task AMatchingMeasurementIsAcceptedAndTheGuestContinues()
    {
        await using var peer = new FakeQmpPeer(r => Replay(r, VectorBlob));
        var result = await RunAsync(peer, Request([VectorDigest], policy: 0));

        Assert.Equal(["query-sev", "query-sev-launch-measure", "cont"], peer.Commands);
        Assert.Equal(Convert.ToHexStringLower(VectorMeasure), result.Measurement);
        Assert.Equal(Convert.ToHexStringLower(VectorDigest), result.MatchedDigest);
        Assert.Equal(new SevPlatformInfo(0, 18, 15, 0), result.Launch.Platform);
        Assert.Equal(0, result.SecretsInjected);
    }

    [Fact]
    public async Task AnyOfSeveralAcceptedDigestsMayMatch()
    {
        await using var peer = new FakeQmpPeer(r => Replay(r, VectorBlob));
        var result = await RunAsync(peer, Request([SHA256.HashData("other"u8), VectorDigest], policy: 0));
        Assert.Equal(Convert.ToHexStringLower(VectorDigest), result.MatchedDigest);
    }

    [Fact]
    public async Task AWrongMeasurementIsRefusedWithBothValuesAndNoCont()
    {
        var accepted = SHA256.HashData("the firmware we expected"u8);
        await using var peer = new FakeQmpPeer(r => Replay(r, VectorBlob));
        var ex = await Assert.ThrowsAsync<PreAttestationException>(() => RunAsync(peer, Request([accepted], policy: 0)));

        Assert.Contains(Convert.ToHexStringLower(VectorMeasure), ex.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(accepted), ex.Message, StringComparison.Ordinal);
        var expectedHmac = LaunchMeasure.Compute(VectorTik, new SevPlatformInfo(0, 18, 15, 0), accepted, VectorNonce);
        Assert.Contains(Convert.ToHexStringLower(expectedHmac), ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cont", peer.Commands);
    }

    [Fact]
    public async Task AnotherTikIsAWrongMeasurement()
    {
        await using var peer = new FakeQmpPeer(r => Replay(r, VectorBlob));
        var request = Request([VectorDigest], policy: 0, tik: new byte[16]);
        await Assert.ThrowsAsync<PreAttestationException>(() => RunAsync(peer, request));
        Assert.DoesNotContain("cont", peer.Commands);
    }

    [Fact]
    public async Task QemuWithoutSevIsRefusedWithQemusWords()
    {
        // QEMU's answer to query-sev when the VM has no SEV guest (target/i386/sev.c).
        await using var peer = new FakeQmpPeer(r => [FakeQmpPeer.Error(r, "GenericError", "SEV feature is not available")]);
        var ex = await Assert.ThrowsAsync<PreAttestationException>(() => RunAsync(peer, Request([VectorDigest], policy: 0)));
        Assert.Contains("SEV feature is not available", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["query-sev"], peer.Commands);
    }

    [Fact]
    public async Task SevDisabledIsRefused()
    {
        await using var peer = new FakeQmpPeer(r => r["execute"]!.GetValue<string>() == "query-sev"
            ? [FakeQmpPeer.Return(r, FakeQmpPeer.SevInfo(0, 18, 15, 0, enabled: false))]
            : Replay(r, VectorBlob));
        var ex = await Assert.ThrowsAsync<PreAttestationException>(() => RunAsync(peer, Request([VectorDigest], policy: 0)));
        Assert.Contains("without SEV", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGuestNotPausedIsRefused()
    {
        await using var peer = new FakeQmpPeer(r => r["execute"]!.GetValue<string>() == "query-sev"
            ? [FakeQmpPeer.Return(r, FakeQmpPeer.SevInfo(0, 18, 15, 0, state: "running"))]
            : Replay(r, VectorBlob));
        var ex = await Assert.ThrowsAsync<PreAttestationException>(() => RunAsync(peer, Request([VectorDigest], policy: 0)));
        Assert.Contains("'running'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-S", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APolicyOtherThanTheLaunchedOneIsRefused()
    {
        await using var peer = new FakeQmpPeer(r => Replay(r, VectorBlob));
        var ex = await Assert.ThrowsAsync<PreAttestationException>(() => RunAsync(peer, Request([VectorDigest], policy: 3)));
        Assert.Contains("policy 0x0, not the configured 0x3", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"AAAA\"", "3 bytes")]
    [InlineData("\"not base64!\"", "not base64")]
    [InlineData("17", "has no")]
    public async Task AMalformedMeasurementIsRefused(string data, string expected)
    {
        await using var peer = new FakeQmpPeer(r => r["execute"]!.GetValue<string>() == "query-sev-launch-measure"
            ? [FakeQmpPeer.Return(r, $"{{\"data\": {data}}}")]
            : Replay(r, VectorBlob));
        var ex = await Assert.ThrowsAsync<PreAttestationException>(() => RunAsync(peer, Request([VectorDigest], policy: 0)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQemuThatNeverAnswersTimesOut()
    {
        await using var peer = new FakeQmpPeer(r => r["execute"]!.GetValue<string>() == "query-sev-launch-measure" ? null : Replay(r, VectorBlob));
        using var cts = new CancellationTokenSource(Generous);
        await using var qmp = await QmpClient.ConnectAsync(peer.SocketPath, cts.Token);
        var ex = await Assert.ThrowsAsync<PreAttestationException>(() =>
            PreAttestation.RunAsync(qmp, Request([VectorDigest], policy: 0), TimeSpan.FromMilliseconds(300), cts.Token));
        Assert.Contains("did not answer QMP", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSecretIsInjectedBeforeContAsAPacketTheTikAndTekOpen()
    {
        var tek = Convert.FromHexString("00112233445566778899aabbccddeeff");
        var secret = new LaunchSecretEntry(new Guid("e6f5a162-d67f-4750-a67c-5d065f2a9910"), "the guest owner's key"u8.ToArray());
        await using var peer = new FakeQmpPeer(r => Replay(r, VectorBlob));
        var request = Request([VectorDigest], policy: 0, tek: tek, secrets: [secret]);

        var result = await RunAsync(peer, request);

        Assert.Equal(["query-sev", "query-sev-launch-measure", "sev-inject-launch-secret", "cont"], peer.Commands);
        Assert.Equal(1, result.SecretsInjected);
        var args = peer.Received.Single(r => r["execute"]!.GetValue<string>() == "sev-inject-launch-secret")["arguments"]!.AsObject();
        Assert.Null(args["gpa"]);
        var header = Convert.FromBase64String(args["packet-header"]!.GetValue<string>());
        var ciphertext = Convert.FromBase64String(args["secret"]!.GetValue<string>());
        Assert.Equal(52, header.Length);

        // Rebuilt with the IV the packet carries, the packet is byte-identical: right keys,
        // right table, HMAC bound to this launch's measurement.
        var rebuilt = LaunchSecret.Build(tek, VectorTik, header.AsSpan(4, 16), VectorMeasure, [secret]);
        Assert.Equal(rebuilt.Header.ToArray(), header);
        Assert.Equal(rebuilt.Ciphertext.ToArray(), ciphertext);
        Assert.DoesNotContain("the guest owner's key", args.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecretTooLargeForTheFirmwareAreaIsRefusedBeforeInjection()
    {
        var secret = new LaunchSecretEntry(Guid.NewGuid(), new byte[4096]);
        await using var peer = new FakeQmpPeer(r => Replay(r, VectorBlob));
        var request = Request([VectorDigest], policy: 0, tek: new byte[16], secrets: [secret], secretArea: 0xC00);
        var ex = await Assert.ThrowsAsync<PreAttestationException>(() => RunAsync(peer, request));
        Assert.Contains("secret area", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["query-sev", "query-sev-launch-measure"], peer.Commands);
    }

    [Fact]
    public void TheRequestPrintsNoKeyMaterial()
    {
        var text = Request([VectorDigest], policy: 0, tek: new byte[16]).ToString();
        Assert.DoesNotContain(Convert.ToHexStringLower(VectorTik), text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("1 accepted digest", text, StringComparison.Ordinal);
    }

    private static IEnumerable<string>? Replay(JsonObject r, string blobBase64) => r["execute"]!.GetValue<string>() switch
    {
        "query-sev" => [FakeQmpPeer.Return(r, FakeQmpPeer.SevInfo(0, 18, 15, 0))],
        "query-sev-launch-measure" => [FakeQmpPeer.Return(r, $"{{\"data\": \"{blobBase64}\"}}")],
        "sev-inject-launch-secret" => [FakeQmpPeer.Return(r, "{}")],
        "cont" => [FakeQmpPeer.Return(r, "{}")],
        var other => [FakeQmpPeer.Error(r, "CommandNotFound", $"The command {other} has not been found")],
    };

    private static PreAttestationRequest Request(
        byte[][] digests, uint policy, byte[]? tik = null, byte[]? tek = null, LaunchSecretEntry[]? secrets = null, uint? secretArea = null) => new()
    {
        Tik = tik ?? VectorTik,
        Tek = tek ?? ReadOnlyMemory<byte>.Empty,
        AcceptedDigests = digests.Select(d => (ReadOnlyMemory<byte>)d).ToArray(),
        ExpectedPolicy = policy,
        Secrets = secrets ?? [],
        SecretAreaSize = secretArea,
    };

    private static async Task<PreAttestationResult> RunAsync(FakeQmpPeer peer, PreAttestationRequest request)
    {
        using var cts = new CancellationTokenSource(Generous);
        await using var qmp = await QmpClient.ConnectAsync(peer.SocketPath, cts.Token);
        return await PreAttestation.RunAsync(qmp, request, Generous, cts.Token);
    }
}
