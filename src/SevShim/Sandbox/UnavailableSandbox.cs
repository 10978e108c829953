using System.Threading.Channels;
using SevShim.Errors;

namespace SevShim.Sandbox;

/// <summary>
/// The production sandbox until the QEMU backend exists (issue "ctr run end to end"): it starts
/// no VM and owns nothing, and refuses to create a container with a FailedPrecondition that says
/// why, so containerd reports a clear error instead of a half-made task. No container can exist
/// in it, so every other operation reports the container as not found.
/// </summary>
internal sealed class UnavailableSandbox : ISandbox, ISandboxFactory
{
    /// <summary>The error message of a refused container creation.</summary>
    public const string NotAvailableMessage =
        "sevshim: no VM backend is available yet (the QEMU sandbox is not implemented in this build); the container was not created";

    private readonly Channel<SandboxEvent> _events = Channel.CreateUnbounded<SandboxEvent>();

    /// <inheritdoc/>
    public ChannelReader<SandboxEvent> Events => _events.Reader;

    /// <summary>Returns a new instance (it holds no resources; the caller still disposes it).</summary>
    public Task<ISandbox> CreateAsync(SandboxRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<ISandbox>(new UnavailableSandbox());

    /// <inheritdoc/>
    public Task<uint> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken) =>
        throw new ShimException(ShimErrorKind.FailedPrecondition, NotAvailableMessage);

    /// <inheritdoc/>
    public Task<uint> StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task<uint> StartExecAsync(ExecRequest request, CancellationToken cancellationToken) =>
        throw NoContainer(request?.ContainerId ?? string.Empty);

    /// <inheritdoc/>
    public Task SignalAsync(string containerId, string execId, uint signal, bool all, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task ResizePtyAsync(string containerId, string execId, uint width, uint height, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task CloseStdinAsync(string containerId, string execId, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task UpdateResourcesAsync(
        string containerId,
        string resourcesJson,
        IReadOnlyDictionary<string, string> annotations,
        CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task<ContainerStats?> GetStatsAsync(string containerId, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task<IReadOnlyList<uint>> ListPidsAsync(string containerId, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task DeleteContainerAsync(string containerId, CancellationToken cancellationToken) =>
        throw NoContainer(containerId);

    /// <inheritdoc/>
    public Task DeleteExecAsync(string containerId, string execId, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task ShutdownAsync(CancellationToken cancellationToken)
    {
        _events.Writer.TryComplete();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    private static ShimException NoContainer(string containerId) =>
        new(ShimErrorKind.NotFound, $"sevshim: container {containerId} does not exist (no VM backend is available in this build)");
}
