namespace TestSupport;

/// <summary>
/// Where the build puts the artefacts that end-to-end tests use. The test script
/// (scripts/test.sh) builds them first; environment variables override each path.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The checkout's root (the folder holding SevRuntime.sln).</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The Native AOT shim binary: SEVSHIM_SHIM_BINARY or artifacts/bin/containerd-shim-sevshim-v2.</summary>
    public static string ShimBinary =>
        Environment.GetEnvironmentVariable("SEVSHIM_SHIM_BINARY") is { Length: > 0 } p
            ? p
            : Path.Combine(Root, "artifacts", "bin", "containerd-shim-sevshim-v2");

    /// <summary>The guest image folder (vmlinuz, initrd.img, manifest): SEVSHIM_GUEST_IMAGE or artifacts/guest.</summary>
    public static string GuestImageDir =>
        Environment.GetEnvironmentVariable("SEVSHIM_GUEST_IMAGE") is { Length: > 0 } p
            ? p
            : Path.Combine(Root, "artifacts", "guest");

    /// <summary>The Native AOT agent binary: SEVSHIM_AGENT_BINARY or artifacts/agent/sevagent.</summary>
    public static string AgentBinary =>
        Environment.GetEnvironmentVariable("SEVSHIM_AGENT_BINARY") is { Length: > 0 } p
            ? p
            : Path.Combine(Root, "artifacts", "agent", "sevagent");

    /// <summary>
    /// The published test vectors copied into the repository (tests/vectors, provenance in its
    /// README.md), or SEVSHIM_VECTORS. A clone must pass alone, so nothing outside the checkout is read.
    /// </summary>
    public static string Vectors =>
        Environment.GetEnvironmentVariable("SEVSHIM_VECTORS") is { Length: > 0 } p
            ? p
            : Path.Combine(Root, "tests", "vectors");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SevRuntime.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"SevRuntime.sln not found above {AppContext.BaseDirectory}: run the tests from the checkout.");
    }
}
