using SevShim.Config;

namespace SevShim.Tests.Config;

/// <summary>confidential.attestation = "report" (SEV-SNP attestation reports) and its keys.</summary>
public sealed class SnpAttestationConfigTests
{
    private const string Source = "/etc/sevshim/config.toml";
    private const string Chain = "amd_chain_file = \"/etc/sevshim/amd/cert_chain.pem\"";

    [Fact]
    public void Report_with_the_chain_a_vcek_folder_and_snp_measurements_parses_and_prints_back()
    {
        var c = ConfigParser.Parse($"""
            [confidential]
            mode = "sev-snp"
            attestation = "report"
            {Chain}
            vcek_dir = "/var/cache/sevshim/vcek"
            launch_digests = ["{new string('C', 96)}"]
            """, Source);

        Assert.Equal(AttestationMode.Report, c.Attestation);
        Assert.Equal("/etc/sevshim/amd/cert_chain.pem", c.AmdChainFile);
        Assert.Equal("/var/cache/sevshim/vcek", c.VcekDir);
        Assert.Equal([new string('c', 96)], c.LaunchDigests);
        var again = ConfigParser.Parse(ConfigTomlWriter.Write(c, null), Source);
        Assert.Equal((c.Attestation, c.AmdChainFile, c.VcekDir), (again.Attestation, again.AmdChainFile, again.VcekDir));
        Assert.Equal(c.LaunchDigests, again.LaunchDigests);
    }

    [Theory]
    [InlineData("sev")]
    [InlineData("sev-es")]
    [InlineData("none")]
    public void Report_needs_sev_snp(string mode)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse($"[confidential]\nmode = \"{mode}\"\nattestation = \"report\"\n{Chain}\n", Source));

        Assert.Contains("attestation' = \"report\" needs confidential.mode = \"sev-snp\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_without_the_chain_names_the_key_and_where_to_get_it()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse("[confidential]\nmode = \"sev-snp\"\nattestation = \"report\"\n", Source));

        Assert.Contains("'confidential.amd_chain_file' is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("cert_chain", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sev_sized_digests_and_pre_attestation_keys_are_refused_with_report()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse(
            $"[confidential]\nmode = \"sev-snp\"\nattestation = \"report\"\n{Chain}\ntik_file = \"/etc/sevshim/tik.bin\"\nlaunch_digests = [\"{new string('a', 64)}\"]\n", Source));

        Assert.Contains("'confidential.tik_file' belongs to pre-attestation", e.Message, StringComparison.Ordinal);
        Assert.Contains("SNP measurements are 96", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_keys_without_report_are_refused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse($"[confidential]\nmode = \"sev-snp\"\n{Chain}\nvcek_dir = \"/v\"\n", Source));

        Assert.Contains("'confidential.amd_chain_file' is set but confidential.attestation is \"none\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("'confidential.vcek_dir' is set", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snp_sized_digests_are_refused_for_pre_attestation()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse($"""
            [confidential]
            mode = "sev"
            attestation = "pre"
            session_file = "/s"
            dh_cert_file = "/d"
            tik_file = "/t"
            launch_digests = ["{new string('a', 96)}"]
            """, Source));

        Assert.Contains("SEV and SEV-ES launch digests are 64", e.Message, StringComparison.Ordinal);
    }
}
