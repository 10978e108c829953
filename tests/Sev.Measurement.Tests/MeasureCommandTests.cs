namespace Sev.Measurement.Tests;

public sealed class MeasureCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sevmeasure-cli-").FullName;

    public MeasureCommandTests()
    {
        // Stand-ins for /dev/null, which the upstream tests pass as kernel and initrd.
        File.WriteAllBytes(EmptyKernel, []);
        File.WriteAllBytes(EmptyInitrd, []);
    }

    private string EmptyKernel => Path.Combine(_dir, "vmlinuz");

    private string EmptyInitrd => Path.Combine(_dir, "initrd.img");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Sev_prints_only_the_digest()
    {
        var (code, stdout, stderr) = Run(
            "--mode", "sev", "--firmware", VectorFiles.OvmfAmdSev, "--kernel", EmptyKernel, "--initrd", EmptyInitrd,
            "--append", "console=ttyS0 loglevel=7");

        Assert.Equal(0, code);
        Assert.Equal("82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff\n", stdout);
        Assert.Equal(string.Empty, stderr);
    }

    [Fact]
    public void Sev_without_kernel_is_the_firmware_hash()
    {
        var (code, stdout, _) = Run("--mode=sev", "--firmware=" + VectorFiles.OvmfX64);

        Assert.Equal(0, code);
        Assert.Equal("b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da\n", stdout);
    }

    [Fact]
    public void Sev_es_with_four_vcpus_matches_sev_snp_measure()
    {
        var (code, stdout, _) = Run(
            "--mode", "sev-es", "--firmware", VectorFiles.OvmfAmdSev, "--kernel", EmptyKernel, "--initrd", EmptyInitrd,
            "--append", string.Empty, "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmsa-style", "init2");

        Assert.Equal(0, code);
        Assert.Equal("0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91\n", stdout);
    }

    [Fact]
    public void Sev_es_legacy_style_matches_the_sevctl_measurement()
    {
        // sevctl measurementbuild.rs SEV-ES case: legacy VMSAs, EPYC-Milan (25/1/1), 4 vCPUs.
        var (code, stdout, _) = Run(
            "measure", "--mode", "seves", "--ovmf", VectorFiles.SevctlOvmf, "--vcpus", "4", "--vcpu-type", "EPYC-Milan",
            "--vmsa-style", "legacy");

        Assert.Equal(0, code);
        var blob = Convert.FromBase64String("/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny");
        var tik = File.ReadAllBytes(VectorFiles.Sevctl("measurement", "tik1.bin"));
        Assert.True(LaunchMeasure.Verify(tik, new SevPlatformInfo(1, 49, 6, 0x05), Convert.FromHexString(stdout.TrimEnd('\n')), blob));
    }

    [Theory]
    [InlineData(null, "6d287813eb5222d770f75005c664e34c204f385ce832cc2ce7d0d6f354454362f390ef83a92046c042e706363b4b08fa")]
    [InlineData("0x21", "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977")]
    [InlineData("21", "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977")]
    public void Snp_matches_sev_snp_measure(string? features, string expected)
    {
        List<string> args =
        [
            "--mode", "snp", "--firmware", VectorFiles.OvmfAmdSev, "--kernel", EmptyKernel, "--initrd", EmptyInitrd,
            "--append", "console=ttyS0 loglevel=7", "--vcpus", "1", "--vcpu-type", "EPYC-v4",
        ];
        if (features is not null)
        {
            args.AddRange(["--guest-features", features]);
        }

        var (code, stdout, stderr) = Run([.. args]);

        Assert.True(code == 0, stderr);
        Assert.Equal(expected + "\n", stdout);
    }

    [Fact]
    public void Empty_append_without_kernel_is_accepted_as_upstream_does()
    {
        var (code, stdout, _) = Run("--mode", "sev", "--firmware", VectorFiles.OvmfX64, "--append", string.Empty);

        Assert.Equal(0, code);
        Assert.Equal("b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da\n", stdout);
    }

    [Fact]
    public void Help_prints_usage_and_succeeds()
    {
        var (code, stdout, _) = Run("--help");

        Assert.Equal(0, code);
        Assert.Contains("--vmsa-style", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--mode is required", "--firmware", "FW")]
    [InlineData("--mode 'tdx' is not a mode", "--mode", "tdx", "--firmware", "FW")]
    [InlineData("--firmware is required", "--mode", "sev")]
    [InlineData("--firmware '/nonexistent/OVMF.fd' does not exist", "--mode", "sev", "--firmware", "/nonexistent/OVMF.fd")]
    [InlineData("--kernel '/nonexistent/vmlinuz' does not exist", "--mode", "sev", "--firmware", "FW", "--kernel", "/nonexistent/vmlinuz")]
    [InlineData("--initrd needs --kernel", "--mode", "sev", "--firmware", "FW", "--initrd", "FW")]
    [InlineData("--append needs --kernel", "--mode", "sev", "--firmware", "FW", "--append", "quiet")]
    [InlineData("--vcpus '0' is not a vCPU count", "--mode", "snp", "--firmware", "FW", "--vcpus", "0")]
    [InlineData("--vcpus 'two' is not a vCPU count", "--mode", "snp", "--firmware", "FW", "--vcpus", "two")]
    [InlineData("--vcpu-type 'Skylake' is not a known QEMU CPU model", "--mode", "snp", "--firmware", "FW", "--vcpu-type", "Skylake")]
    [InlineData("--vmsa-style 'new' is not a style", "--mode", "sev-es", "--firmware", "FW", "--vmsa-style", "new")]
    [InlineData("--vmsa-style legacy does not apply to --mode snp", "--mode", "snp", "--firmware", "FW", "--vmsa-style", "legacy")]
    [InlineData("--guest-features 'zz' is not a 64-bit hex value", "--mode", "snp", "--firmware", "FW", "--guest-features", "zz")]
    [InlineData("--snp-ovmf-hash applies only to --mode snp", "--mode", "sev", "--firmware", "FW", "--snp-ovmf-hash", "00")]
    [InlineData("unknown option '--cpus'", "--mode", "snp", "--firmware", "FW", "--cpus", "2")]
    [InlineData("--vcpus needs a value", "--mode", "snp", "--firmware", "FW", "--vcpus")]
    [InlineData("--mode is given twice", "--mode", "snp", "--mode", "sev", "--firmware", "FW")]
    [InlineData("unexpected argument 'stray'", "--mode", "snp", "stray", "--firmware", "FW")]
    public void Bad_arguments_exit_2_naming_the_argument(string expectedMessage, params string[] args)
    {
        var resolved = args.Select(a => a == "FW" ? VectorFiles.OvmfAmdSev : a).ToArray();

        var (code, stdout, stderr) = Run(resolved);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains(expectedMessage, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Kernel_with_firmware_lacking_a_hashes_table_exits_2_with_the_fix()
    {
        var (code, stdout, stderr) = Run("--mode", "sev", "--firmware", VectorFiles.OvmfX64, "--kernel", EmptyKernel);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("OVMF doesn't support kernel/initrd/cmdline measurement", stderr, StringComparison.Ordinal);
        Assert.Contains("AmdSev", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_firmware_exits_2_naming_firmware()
    {
        var path = Path.Combine(_dir, "tiny.fd");
        File.WriteAllBytes(path, [1, 2, 3]);

        var (code, stdout, stderr) = Run("--mode", "snp", "--firmware", path);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith("measure: --firmware:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sev_es_on_firmware_without_reset_block_exits_2()
    {
        var path = Path.Combine(_dir, "plain.fd");
        File.WriteAllBytes(path, new byte[8192]);

        var (code, _, stderr) = Run("--mode", "sev-es", "--firmware", path);

        Assert.Equal(2, code);
        Assert.Contains("reset block", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = MeasureCommand.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
