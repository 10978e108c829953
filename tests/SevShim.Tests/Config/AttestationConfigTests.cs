using SevShim.Config;

namespace SevShim.Tests.Config;

public sealed class AttestationConfigTests
{
    private const string Source = "/etc/sevshim/config.toml";

    private const string Session = """
        session_file = "/etc/sevshim/vm_session.b64"
        dh_cert_file = "/etc/sevshim/vm_godh.b64"
        tik_file = "/etc/sevshim/vm_tik.bin"
        """;

    [Fact]
    public void PreAttestationWithASessionAndASecretParses()
    {
        var c = ConfigParser.Parse($"""
            [confidential]
            mode = "sev-es"
            attestation = "pre"
            {Session}
            tek_file = "/etc/sevshim/vm_tek.bin"
            secret_file = "/etc/sevshim/secret.bin"
            secret_guid = "E6F5A162-D67F-4750-A67C-5D065F2A9910"
            launch_digests = ["{new string('A', 64)}", "{new string('0', 64)}"]
            """, Source);

        Assert.Equal(AttestationMode.Pre, c.Attestation);
        Assert.Equal("/etc/sevshim/vm_tik.bin", c.TikFile);
        Assert.Equal(new Guid("e6f5a162-d67f-4750-a67c-5d065f2a9910"), c.SecretGuid);
        Assert.Equal([new string('a', 64), new string('0', 64)], c.LaunchDigests);
    }

    [Fact]
    public void TheDefaultIsNoPreAttestation() => Assert.Equal(AttestationMode.None, ShimConfig.Defaults.Attestation);

    [Theory]
    [InlineData("attestation = \"post\"", "'confidential.attestation' = \"post\": expected \"none\", \"pre\" or \"report\"")]
    [InlineData("secret_guid = \"not-a-guid\"", "'confidential.secret_guid'")]
    [InlineData("launch_digests = [\"abc\"]", "'confidential.launch_digests'")]
    [InlineData("launch_digests = []", "'confidential.launch_digests'")]
    [InlineData("tik_file = \"relative/tik.bin\"", "'confidential.tik_file'")]
    public void BadValuesNameTheKey(string line, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse($"[confidential]\nmode = \"sev\"\n{line}\n", Source));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PreNeedsTheSessionKeysEachNamedWithWhereItComesFrom()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse("[confidential]\nmode = \"sev\"\nattestation = \"pre\"\n", Source));
        Assert.Contains("'confidential.session_file' is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("'confidential.dh_cert_file' is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("'confidential.tik_file' is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("sevctl session", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sev-snp", "SEV-SNP has no QMP launch measurement")]
    [InlineData("none", "a pod without encryption has no launch measurement")]
    public void PreIsOnlyForSevAndSevEs(string mode, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse($"[confidential]\nmode = \"{mode}\"\nattestation = \"pre\"\n{Session}\n", Source));
        Assert.Contains("'confidential.attestation' = \"pre\" needs confidential.mode = \"sev\" or \"sev-es\"", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASecretNeedsTheTekAndTheGuid()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse(
            $"[confidential]\nmode = \"sev\"\nattestation = \"pre\"\n{Session}\nsecret_file = \"/etc/sevshim/secret.bin\"\n", Source));
        Assert.Contains("'confidential.tek_file' is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("'confidential.secret_guid' is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeysWithoutEffectAreErrors()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigParser.Parse(
            "[confidential]\nmode = \"sev\"\ntik_file = \"/etc/sevshim/vm_tik.bin\"\n", Source));
        Assert.Contains("'confidential.tik_file' is set but confidential.attestation is \"none\"", e.Message, StringComparison.Ordinal);

        var noSecret = Assert.Throws<ConfigException>(() => ConfigParser.Parse(
            $"[confidential]\nmode = \"sev\"\nattestation = \"pre\"\n{Session}\ntek_file = \"/etc/sevshim/vm_tek.bin\"\n", Source));
        Assert.Contains("'confidential.tek_file' is set but confidential.secret_file is not", noSecret.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheEffectiveConfigurationPrintsTheAttestationKeysAndParsesBack()
    {
        var c = ConfigParser.Parse($"""
            [confidential]
            mode = "sev"
            attestation = "pre"
            {Session}
            launch_digests = ["{new string('b', 64)}"]
            """, Source);
        var text = ConfigTomlWriter.Write(c, null);
        Assert.Contains("attestation = \"pre\"", text, StringComparison.Ordinal);
        var again = ConfigParser.Parse(text, Source);
        Assert.Equal(c.TikFile, again.TikFile);
        Assert.Equal(c.LaunchDigests, again.LaunchDigests);
        Assert.Equal(AttestationMode.Pre, again.Attestation);
    }
}
