namespace SevShim.Sandbox;

/// <summary>
/// Creates the pod's sandbox (boots its VM) when the pod's first container is created. The
/// caller owns the returned instance.
/// </summary>
internal interface ISandboxFactory
{
    /// <summary>Creates the sandbox for the pod described by <paramref name="request"/>.</summary>
    Task<ISandbox> CreateAsync(SandboxRequest request, CancellationToken cancellationToken);
}
