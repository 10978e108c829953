namespace SevShim.IntegrationTests.Support;

/// <summary>The runtimes the conformance suite compares.</summary>
public static class CtrRuntime
{
    /// <summary>containerd's own runc shim: the reference behaviour.</summary>
    public const string Runc = "io.containerd.runc.v2";

    /// <summary>The shim under test (containerd-shim-sevshim-v2, a QEMU VM per pod).</summary>
    public const string Sevshim = "io.containerd.sevshim.v2";
}
