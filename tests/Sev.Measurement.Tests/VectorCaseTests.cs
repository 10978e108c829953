using System.Text.Json;

namespace Sev.Measurement.Tests;

/// <summary>Every case of vectors.json, one Theory row each.</summary>
public sealed class VectorCaseTests
{
    public static TheoryData<string> SnpMeasureCases => VectorsJson.CaseNames(VectorsJson.SnpMeasureGroup);

    public static TheoryData<string> SevctlMeasurementCases => VectorsJson.CaseNames(VectorsJson.SevctlMeasurementGroup);

    public static TheoryData<string> SevctlSecretCases => VectorsJson.CaseNames(VectorsJson.SevctlSecretGroup);

    [Fact]
    public void Every_group_in_vectors_json_is_covered_by_a_theory()
    {
        var groups = VectorsJson.Groups().ToList();

        Assert.All(groups, g => Assert.Contains(g.Group, VectorsJson.KnownGroups));
        Assert.Equal(VectorsJson.KnownGroups.Length, groups.Count);
        Assert.Equal(7, groups.Sum(g => g.Cases.GetArrayLength()));
    }

    [Theory]
    [MemberData(nameof(SnpMeasureCases))]
    public void Sev_snp_measure_case_reproduces_the_expected_launch_digest(string name)
    {
        var c = VectorsJson.Case(name);
        var ovmf = OvmfImage.Load(Path.Combine(VectorFiles.Root, "sev-snp-measure", c.GetProperty("ovmf").GetString()!));

        // "empty" stands for /dev/null in the upstream test; a null kernel means no -kernel.
        var kernel = VectorsJson.OptionalString(c, "kernel");
        KernelHashes? hashes = null;
        if (kernel is not null)
        {
            Assert.Equal("empty", kernel);
            var initrd = VectorsJson.OptionalString(c, "initrd");
            Assert.True(initrd is null or "empty");
            hashes = KernelHashes.FromContents([], [], VectorsJson.OptionalString(c, "append"));
        }

        var digest = c.GetProperty("mode").GetString() switch
        {
            "sev" => LaunchDigest.Sev(ovmf, hashes),
            "seves" => LaunchDigest.SevEs(
                ovmf,
                hashes,
                c.GetProperty("vcpus").GetInt32(),
                Convert.ToUInt32(c.GetProperty("vcpu_sig").GetString(), 16),
                VmsaStyle.Init2),
            var other => throw new InvalidOperationException($"vector mode '{other}' is not handled by this test"),
        };

        Assert.Equal(c.GetProperty("expected").GetString(), Convert.ToHexStringLower(digest));
    }

    [Theory]
    [MemberData(nameof(SevctlMeasurementCases))]
    public void Sevctl_measurement_case_reproduces_the_launch_measure_blob(string name)
    {
        var c = VectorsJson.Case(name);
        var tik = File.ReadAllBytes(VectorFiles.Resolve(VectorsJson.LeadingPath(c.GetProperty("tik").GetString()!)));
        var platform = new SevPlatformInfo(
            (byte)c.GetProperty("api_major").GetInt32(),
            (byte)c.GetProperty("api_minor").GetInt32(),
            (byte)c.GetProperty("build").GetInt32(),
            Convert.ToUInt32(c.GetProperty("policy").GetString(), 16));
        var digest = Convert.FromBase64String(c.GetProperty("launch_digest_b64").GetString()!);
        var nonce = Convert.FromBase64String(c.GetProperty("nonce_b64").GetString()!);
        var expected = c.GetProperty("expected_measure_plus_nonce_b64").GetString()!;

        var blob = LaunchMeasure.ComputeBlob(tik, platform, digest, nonce);

        Assert.Equal(expected, Convert.ToBase64String(blob));
        Assert.True(LaunchMeasure.Verify(tik, platform, digest, Convert.FromBase64String(expected)));
    }

    [Theory]
    [MemberData(nameof(SevctlSecretCases))]
    public void Sevctl_secret_case_reproduces_header_and_payload(string name)
    {
        var c = VectorsJson.Case(name);
        var tik = File.ReadAllBytes(VectorFiles.Resolve(c.GetProperty("tik").GetString()!));
        var tek = File.ReadAllBytes(VectorFiles.Resolve(c.GetProperty("tek").GetString()!));
        var secrets = c.GetProperty("secrets").EnumerateArray()
            .Select(pair => new LaunchSecretEntry(
                Guid.Parse(pair[0].GetString()!),
                File.ReadAllBytes(VectorFiles.Sevctl("secret", VectorsJson.LeadingPath(pair[1].GetString()!)))))
            .ToList();

        var packet = LaunchSecret.Build(
            tek,
            tik,
            Convert.FromBase64String(c.GetProperty("iv_b64").GetString()!),
            Convert.FromBase64String(c.GetProperty("launch_measure_blob_b64").GetString()!),
            secrets);

        Assert.Equal(c.GetProperty("expected_header_b64").GetString(), packet.HeaderBase64);
        Assert.Equal(c.GetProperty("expected_payload_b64").GetString(), packet.SecretBase64);
    }
}
