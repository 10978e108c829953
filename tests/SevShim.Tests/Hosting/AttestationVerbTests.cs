using SevShim.Confidential;
using SevShim.Hosting;

namespace SevShim.Tests.Hosting;

/// <summary>`containerd-shim-sevshim-v2 attestation POD [STATE-ROOT]`: prints the recorded evidence, or says why there is none.</summary>
public sealed class AttestationVerbTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sevshim-verb-");

    [Fact]
    public void The_recorded_evidence_of_a_pod_is_printed()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "pod1"));
        File.WriteAllText(Path.Combine(_root.FullName, "pod1", SnpAttestationStep.RecordFileName), "{\"measurement\": \"ab\"}");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = AdminCommands.Attestation(["pod1", _root.FullName], stdout, stderr);

        Assert.Equal(0, code);
        Assert.Contains("\"measurement\": \"ab\"", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_pod_without_a_record_is_explained()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = AdminCommands.Attestation(["pod2", _root.FullName], stdout, stderr);

        Assert.Equal(1, code);
        Assert.Contains("confidential.attestation = \"report\"", stderr.ToString(), StringComparison.Ordinal);
        Assert.Empty(stdout.ToString());
    }

    [Fact]
    public void Without_a_pod_id_it_prints_its_usage()
    {
        using var stderr = new StringWriter();

        Assert.Equal(2, AdminCommands.Attestation([], TextWriter.Null, stderr));
        Assert.Contains("attestation POD-ID", stderr.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _root.Delete(recursive: true);
}
