using System.Buffers.Binary;

namespace Sev.Measurement.Tests;

/// <summary>
/// SNP launch digests published by the upstream tool: virtee/sev-snp-measure @8f2b337e (v0.0.13),
/// tests/test_guest.py, the QEMU-VMM cases (the ec2/gce/svsm cases model other VMMs or need files
/// not in the shared vectors). The same fixtures and values are in virtee/sev tests/measurement.rs.
/// Inputs: kernel and initrd "/dev/null" (empty), vCPU type EPYC-v4 (0x800F12), the 4 KiB OVMF
/// suffix files treated as the whole image. These rows are not in vectors.json.
/// </summary>
public sealed class UpstreamSnpDigestTests
{
    private const string OvmfHash = "086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74";
    private const uint EpycV4 = 0x800F12;

    [Theory]
    // upstream test name,                         ovmf,     vcpus, kernel, append,                      features, expected
    [InlineData("test_snp_default", "AmdSev", 1, true, "console=ttyS0 loglevel=7", 0x21UL, "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977")]
    [InlineData("test_snp_guest_feature_snp_only", "AmdSev", 1, true, "console=ttyS0 loglevel=7", 0x1UL, "6d287813eb5222d770f75005c664e34c204f385ce832cc2ce7d0d6f354454362f390ef83a92046c042e706363b4b08fa")]
    [InlineData("test_snp_without_kernel_default", "AmdSev", 1, false, null, 0x21UL, "e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b")]
    [InlineData("test_snp_without_kernel_feature_snp_only", "AmdSev", 1, false, null, 0x1UL, "19358ba9a7615534a9a1e2f0dfc29384dcd4dcb7062ff9c6013b26869a5fc6ecabe033c48dd6f6db5d6d76e7c5df632d")]
    [InlineData("test_snp_with_multiple_vcpus_default", "AmdSev", 4, true, "", 0x21UL, "4953b1fb416fa874980e8442b3706d345926d5f38879134e00813c5d7abcbe78eafe7b422907be0b4698e2414a631942")]
    [InlineData("test_snp_with_multiple_vcpus_feature_snp_only", "AmdSev", 4, true, "", 0x1UL, "5061fffb019493a903613d56d54b94912a1a2f9e4502385f5c194616753720a92441310ba6c4933de877c36e23046ad5")]
    [InlineData("test_snp_with_ovmfx64_without_default", "OvmfX64", 1, false, null, 0x21UL, "28797ae0afaba4005a81e629acebfb59e6687949d6be44007cd5506823b0dd66f146aaae26ff291eed7b493d8a64c385")]
    [InlineData("test_snp_with_ovmfx64_without_kernel_feature_snp_only", "OvmfX64", 1, false, null, 0x1UL, "da0296de8193586a5512078dcd719eccecbd87e2b825ad4148c44f665dc87df21e5b49e21523a9ad993afdb6a30b4005")]
    public void Snp_digest_matches_sev_snp_measure(string upstreamTest, string ovmfName, int vcpus, bool kernel, string? append, ulong features, string expected)
    {
        var ovmf = OvmfImage.Load(ovmfName == "AmdSev" ? VectorFiles.OvmfAmdSev : VectorFiles.OvmfX64);
        var hashes = kernel ? KernelHashes.FromContents([], [], append) : null;

        var digest = LaunchDigest.Snp(ovmf, hashes, vcpus, EpycV4, features);

        Assert.True(expected == Convert.ToHexStringLower(digest), $"{upstreamTest}: got {Convert.ToHexStringLower(digest)}");
    }

    [Theory]
    // test_snp_ovmf_hash_gen_default / _feature_snp_only: the digest from a precomputed OVMF hash seed.
    [InlineData("test_snp_ovmf_hash_gen_default", "", 0x21UL, "329c8ce0972ae52343b64d34a434a86f245dfd74f5ed7aae15d22efc78fb9683632b9b50e4e1d7fa41179ef98a7ef198")]
    [InlineData("test_snp_ovmf_hash_gen_feature_snp_only", "", 0x1UL, "ddc5224521617a536ee7ce9dd6224d1b58a8d4fda1c741f3ac99fc4bfa04ba6e9fc98646d4a07a9079397fa3852819b5")]
    [InlineData("test_snp_ovmf_hash_full_default", "console=ttyS0 loglevel=7", 0x21UL, "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977")]
    [InlineData("test_snp_ovmf_hash_full_feature_snp_only", "console=ttyS0 loglevel=7", 0x1UL, "6d287813eb5222d770f75005c664e34c204f385ce832cc2ce7d0d6f354454362f390ef83a92046c042e706363b4b08fa")]
    public void Snp_digest_from_ovmf_hash_seed_matches_sev_snp_measure(string upstreamTest, string append, ulong features, string expected)
    {
        var ovmf = OvmfImage.Load(VectorFiles.OvmfAmdSev);
        var hashes = KernelHashes.FromContents([], [], append);

        var seeded = LaunchDigest.Snp(ovmf, hashes, 1, EpycV4, features, Convert.FromHexString(OvmfHash));
        var full = LaunchDigest.Snp(ovmf, hashes, 1, EpycV4, features);

        Assert.True(expected == Convert.ToHexStringLower(seeded), $"{upstreamTest}: got {Convert.ToHexStringLower(seeded)}");
        Assert.Equal(seeded, full);
    }

    [Fact]
    public void Snp_ovmf_hash_matches_sev_snp_measure()
    {
        // test_snp_ovmf_hash_full_default: calc_snp_ovmf_hash(ovmf_AmdSev_suffix.bin).
        var ovmf = OvmfImage.Load(VectorFiles.OvmfAmdSev);

        Assert.Equal(OvmfHash, Convert.ToHexStringLower(LaunchDigest.SnpOvmfHash(ovmf)));
    }

    [Fact]
    public void Snp_with_kernel_on_firmware_without_hashes_section_fails_with_upstream_message()
    {
        // test_snp_with_ovmfx64_and_kernel_should_fail.
        var ovmf = OvmfImage.Load(VectorFiles.OvmfX64);

        var ex = Assert.Throws<MeasurementException>(() =>
            LaunchDigest.Snp(ovmf, KernelHashes.FromContents([], [], string.Empty), 1, EpycV4, 0x21));

        Assert.StartsWith("Kernel specified but OVMF metadata doesn't include SNP_KERNEL_HASHES section", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snp_with_kernel_on_amdsev_build_older_than_the_snp_hashes_section_says_so()
    {
        // The shape of edk2 2022.11's AmdSev build (Debian 12's, which scripts/build-firmware.sh
        // built before it moved to Debian 13's 2025.02): the footer has the SEV hashes table, the
        // SNP metadata has no SNP_KERNEL_HASHES section. Made from the edk2-stable202405 vector by
        // turning its type 0x10 section into SNP_SEC_MEM.
        var bytes = File.ReadAllBytes(VectorFiles.OvmfAmdSev);
        var asev = bytes.AsSpan().IndexOf("ASEV"u8);
        Assert.True(asev >= 0, "the AmdSev vector has no ASEV header");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(asev + 12));
        var replaced = 0;
        for (var i = 0; i < count; i++)
        {
            var type = bytes.AsSpan(asev + 16 + (i * 12) + 8, 4);
            if (BinaryPrimitives.ReadUInt32LittleEndian(type) == (uint)SnpSectionType.SnpKernelHashes)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(type, (uint)SnpSectionType.SnpSecMem);
                replaced++;
            }
        }

        Assert.Equal(1, replaced);
        var ovmf = OvmfImage.Parse(bytes);
        Assert.True(ovmf.SupportsKernelHashes);
        Assert.False(ovmf.SupportsSnpKernelHashes);

        var ex = Assert.Throws<MeasurementException>(() =>
            LaunchDigest.Snp(ovmf, KernelHashes.FromContents([], [], string.Empty), 1, EpycV4, 0x1));

        Assert.StartsWith("Kernel specified but OVMF metadata doesn't include SNP_KERNEL_HASHES section", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SNP metadata from before that section", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("use the OvmfPkg/AmdSev build", ex.Message, StringComparison.Ordinal);

        // Without -kernel the same image measures (the 0x10 page is then measured as a zero page
        // by a newer build, so the digests differ; the point is that it does not fail).
        Assert.Equal(48, LaunchDigest.Snp(ovmf, null, 1, EpycV4, 0x1).Length);
    }

    [Fact]
    public void Sev_and_seves_with_kernel_on_firmware_without_hashes_table_fail_with_upstream_message()
    {
        // test_sev_with_ovmfx64_and_kernel_should_fail, test_seves_with_ovmfx64_and_kernel_should_fail.
        var ovmf = OvmfImage.Load(VectorFiles.OvmfX64);
        var hashes = KernelHashes.FromContents([], [], string.Empty);
        const string Message = "Kernel specified but OVMF doesn't support kernel/initrd/cmdline measurement";

        Assert.StartsWith(Message, Assert.Throws<MeasurementException>(() => LaunchDigest.Sev(ovmf, hashes)).Message, StringComparison.Ordinal);
        Assert.StartsWith(
            Message,
            Assert.Throws<MeasurementException>(() => LaunchDigest.SevEs(ovmf, hashes, 1, EpycV4, VmsaStyle.Init2)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Snp_without_reset_block_is_rejected()
    {
        var garbage = new byte[8192];

        var ex = Assert.Throws<MeasurementException>(() => LaunchDigest.Snp(OvmfImage.Parse(garbage), null, 1, EpycV4, 1));

        Assert.Contains("reset block", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snp_digest_of_a_4_MiB_firmware_covers_every_page()
    {
        // A 4 MiB image with the AmdSev tail: the chain must depend on the first page too.
        var tail = File.ReadAllBytes(VectorFiles.OvmfAmdSev);
        var image = new byte[4 * 1024 * 1024];
        tail.CopyTo(image, image.Length - tail.Length);
        var first = LaunchDigest.Snp(OvmfImage.Parse(image.ToArray()), null, 2, EpycV4, 1);
        image[0] = 1;

        var second = LaunchDigest.Snp(OvmfImage.Parse(image), null, 2, EpycV4, 1);

        Assert.NotEqual(first, second);
        Assert.Equal(48, first.Length);
    }
}
