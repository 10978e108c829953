using System.Security.Cryptography;
using System.Text;

namespace Sev.Measurement.Tests;

/// <summary>
/// The other sevctl cases (virtee/sevctl @8b47f3a6, v0.6.2), whose expected values are in
/// tests/measurementbuild.rs and tests/secretbuild.rs but not in vectors.json; the input files are
/// in the shared vectors/sevctl folder. Also the VMSA pages sevctl's "vmsa build" wrote
/// (tests/data/vmsa0.bin, vmsa1.bin: --family 25 --model 1 --stepping 1 --userspace qemu,
/// legacy KVM_SEV_ES_INIT state).
/// </summary>
public sealed class UpstreamSevctlTests
{
    private static readonly byte[] Nonce = Convert.FromBase64String("wxP6tRHCFrFQWxsuqZA8QA==");

    private static byte[] MeasurementTik => File.ReadAllBytes(VectorFiles.Sevctl("measurement", "tik1.bin"));

    [Fact]
    public void Measurement_build_with_firmware_only()
    {
        // measurementbuild.rs "Test --firmware PATH": API 1.40 build 40, policy 0x03.
        var ld = LaunchDigest.Sev(OvmfImage.Load(VectorFiles.SevctlOvmf), null);

        var blob = LaunchMeasure.ComputeBlob(MeasurementTik, new SevPlatformInfo(1, 40, 40, 0x03), ld, Nonce);

        Assert.Equal("oMDewIouJSpbpNRHj7Mk3p08H2dPZQdsZMU14qIymBnDE/q1EcIWsVBbGy6pkDxA", Convert.ToBase64String(blob));
    }

    [Fact]
    public void Measurement_build_with_firmware_kernel_initrd_and_cmdline()
    {
        // measurementbuild.rs "Test --firmware + --kernel everything".
        var hashes = KernelHashes.FromFiles(
            VectorFiles.Sevctl("measurement", "vmlinuz-fake"),
            VectorFiles.Sevctl("measurement", "initrd-fake"),
            "foo bar baz fake kernel=cmdline");
        var ld = LaunchDigest.Sev(OvmfImage.Load(VectorFiles.SevctlOvmf), hashes);

        var blob = LaunchMeasure.ComputeBlob(MeasurementTik, new SevPlatformInfo(1, 40, 40, 0x03), ld, Nonce);

        Assert.Equal("h3auYbWQnVW7EGLWN4Hf9SN0oEYMPU2sK4bLnefWPwvDE/q1EcIWsVBbGy6pkDxA", Convert.ToBase64String(blob));
    }

    [Fact]
    public void Measurement_build_for_sev_es_with_four_vcpus_verifies_with_our_legacy_vmsas()
    {
        // measurementbuild.rs "Test SEV-ES VMSA bits": API 1.49 build 6, policy 0x05, 4 vCPUs,
        // --vmsa-cpu0 vmsa0.bin --vmsa-cpu1 vmsa1.bin; the blob is both input and expected output.
        const string Expected = "/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny";
        var ovmf = OvmfImage.Load(VectorFiles.SevctlOvmf);
        Assert.True(VcpuTypes.TryGetSignature("EPYC-Milan", out var milan));

        var ld = LaunchDigest.SevEs(ovmf, null, 4, milan, VmsaStyle.Legacy);

        Assert.True(LaunchMeasure.Verify(MeasurementTik, new SevPlatformInfo(1, 49, 6, 0x05), ld, Convert.FromBase64String(Expected)));
        Assert.False(LaunchMeasure.Verify(
            MeasurementTik,
            new SevPlatformInfo(1, 49, 6, 0x05),
            LaunchDigest.SevEs(ovmf, null, 4, milan, VmsaStyle.Init2),
            Convert.FromBase64String(Expected)));
    }

    [Theory]
    [InlineData(0, "vmsa0.bin")]
    [InlineData(1, "vmsa1.bin")]
    public void Legacy_vmsa_is_byte_identical_to_sevctl(int cpu, string file)
    {
        var ovmf = OvmfImage.Load(VectorFiles.SevctlOvmf);
        var eip = cpu == 0 ? VmsaBuilder.BspEip : ovmf.SevEsResetAddress!.Value;

        var vmsa = VmsaBuilder.Build(eip, VcpuTypes.Signature(25, 1, 1), 0, VmsaStyle.Legacy);

        Assert.Equal(File.ReadAllBytes(VectorFiles.Sevctl(file)), vmsa);
    }

    [Fact]
    public void Init2_vmsa_differs_from_sevctl_only_in_mxcsr_and_fcw()
    {
        var sevctl = File.ReadAllBytes(VectorFiles.Sevctl("vmsa0.bin"));

        var init2 = VmsaBuilder.Build(VmsaBuilder.BspEip, VcpuTypes.Signature(25, 1, 1), 0, VmsaStyle.Init2);

        var differing = Enumerable.Range(0, VmsaBuilder.PageSize).Where(i => sevctl[i] != init2[i]).ToArray();
        Assert.Equal([0x408, 0x409, 0x410, 0x411], differing);
    }

    [Fact]
    public void Secret_build_with_two_secrets()
    {
        // secretbuild.rs "Test multi secret injection".
        var packet = LaunchSecret.Build(
            File.ReadAllBytes(VectorFiles.Sevctl("secret", "tek1.bin")),
            File.ReadAllBytes(VectorFiles.Sevctl("secret", "tik1.bin")),
            Convert.FromBase64String("rFR07U3TLH2YnsUj2SVZ7A=="),
            Convert.FromBase64String("TLeA7607lZQntLjRY1/i+sbtdSZ+75zxpz4Px9hzpBLwItF5Q2o4prA++3ZZv9ZS"),
            [
                new LaunchSecretEntry(Guid.Parse("736869e5-84f0-4973-92ec-06879ce3da0b"), File.ReadAllBytes(VectorFiles.Sevctl("secret", "secret1.txt"))),
                new LaunchSecretEntry(Guid.Parse("736869e5-aaaa-4973-92ec-06879ce3da0b"), File.ReadAllBytes(VectorFiles.Sevctl("secret", "secret2.txt"))),
            ]);

        Assert.Equal("AAAAAKxUdO1N0yx9mJ7FI9klWeyZ3r0dOEKHUOhIRqzGYYvTJgdMtBPL1nK6GD9aGET7Ng==", packet.HeaderBase64);
        Assert.Equal(
            "0U3e5PcXv0UW+H4tSBFKObWYfKE1+j38Bc2fuO16mYiyI+sWx7INfn+lgYj56GL12yyinDa+lVfCC+WWs332lpLNUX1ZI3YK7vYgtys4X+uGxEIlkIQ90v8/w8ZFmQMe",
            packet.SecretBase64);
    }

    [Fact]
    public void Random_iv_packets_differ_and_carry_their_iv()
    {
        LaunchSecretEntry[] secrets = [new(Guid.NewGuid(), "x"u8.ToArray())];

        var a = LaunchSecret.BuildWithRandomIv(new byte[16], new byte[16], new byte[32], secrets);
        var b = LaunchSecret.BuildWithRandomIv(new byte[16], new byte[16], new byte[32], secrets);

        Assert.Equal(52, a.Header.Length);
        Assert.NotEqual(a.HeaderBase64, b.HeaderBase64);
        var again = LaunchSecret.Build(new byte[16], new byte[16], a.Header.Slice(4, 16), new byte[32], secrets);
        Assert.Equal(a.HeaderBase64, again.HeaderBase64);
        Assert.Equal(a.SecretBase64, again.SecretBase64);
    }

    [Theory]
    [InlineData("secret3.txt")]
    [InlineData("secret4.txt")]
    public void Largest_sevctl_secrets_pad_to_16384_bytes(string file)
    {
        // secretbuild.rs "Test maximum secret size and proper padding": 16 + 4 + (16 + 4 + pad(n)) = 16384.
        var table = LaunchSecret.BuildTable(
            [new LaunchSecretEntry(Guid.Parse("23058844-597b-42fb-8259-a0f5d9d495af"), File.ReadAllBytes(VectorFiles.Sevctl("secret", file)))]);

        Assert.Equal(16384, table.Length);
    }

    [Fact]
    public void Secret_table_larger_than_the_firmware_secret_area_is_rejected()
    {
        var area = OvmfImage.Load(VectorFiles.SevctlOvmf).SecretArea!.Value;
        var big = new LaunchSecretEntry(Guid.NewGuid(), new byte[area.Size]);

        var ex = Assert.Throws<MeasurementException>(() =>
            LaunchSecret.Build(new byte[16], new byte[16], new byte[16], new byte[48], [big], area.Size));

        Assert.Contains("secret area", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Secret_table_layout_has_lengths_and_guids_in_efi_order()
    {
        var id = Guid.Parse("736869e5-84f0-4973-92ec-06879ce3da0b");

        var table = LaunchSecret.BuildTable([new LaunchSecretEntry(id, Encoding.ASCII.GetBytes("abc"))]);

        Assert.Equal(48, table.Length); // 20 + 23 = 43, padded to 48
        Assert.Equal(OvmfGuids.SecretTableHeader, new Guid(table.AsSpan(0, 16)));
        Assert.Equal(43U, BitConverter.ToUInt32(table, 16));
        Assert.Equal(id, new Guid(table.AsSpan(20, 16)));
        Assert.Equal(23U, BitConverter.ToUInt32(table, 36));
        Assert.Equal("abc"u8.ToArray(), table[40..43]);
        Assert.All(table[43..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Launch_measure_matches_the_virtee_sev_unit_vector()
    {
        // virtee/sev @9cf2adbf src/launch/sev.rs test (SEV.md 5.3): LD = SHA256(""), API 0.18 build 15, policy 0.
        var tik = Convert.FromHexString("66320db73158a35a255d051758e95ed4");
        var mnonce = Convert.FromHexString("4fbe0bedbad6c86ae8f68971d103e554");

        var measure = LaunchMeasure.Compute(tik, new SevPlatformInfo(0, 18, 15, 0), SHA256.HashData([]), mnonce);

        Assert.Equal("6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea", Convert.ToHexStringLower(measure));
    }

    [Fact]
    public void Verify_rejects_a_tampered_blob()
    {
        var tik = MeasurementTik;
        var platform = new SevPlatformInfo(1, 40, 40, 0x03);
        var ld = Convert.FromBase64String("xkvRAfyaSizgonxAjZIAkR8TmolUabBKQKb6KJCDDSM=");
        var blob = LaunchMeasure.ComputeBlob(tik, platform, ld, Nonce);
        blob[5] ^= 1;

        Assert.False(LaunchMeasure.Verify(tik, platform, ld, blob));
        Assert.Throws<ArgumentException>(() => LaunchMeasure.Verify(tik, platform, ld, blob.AsSpan(0, 47)));
    }
}
