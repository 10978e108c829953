using System.Text.Json;
using System.Text.Json.Nodes;
using Serilog;
using SevShim.Errors;
using SevShim.Config;
using SevShim.Network;

namespace SevShim.Sandbox;

/// <summary>
/// Boots one QEMU pod VM per pod (ARCHITECTURE decision 2). The configuration is loaded per pod
/// from the runtime option ConfigPath, SEVSHIM_CONFIG or /etc/sevshim/config.toml
/// (<see cref="ConfigLocator"/>), unless the caller supplies a loader (tests).
/// </summary>
internal sealed class QemuSandboxFactory(ILogger log, QemuSandboxOptions? options = null, Func<SandboxRequest, ShimConfig>? loadConfig = null)
    : ISandboxFactory
{
    private readonly QemuSandboxOptions _options = options ?? new QemuSandboxOptions();
    private readonly Func<SandboxRequest, ShimConfig> _loadConfig = loadConfig
        ?? (r => ConfigLocator.Load(ConfigLocator.Resolve(r.RuntimeConfigPath, Environment.GetEnvironmentVariable)));

    /// <inheritdoc/>
    public async Task<ISandbox> CreateAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var config = _loadConfig(request);

        // Refused before a VM is booted: a hostNetwork/hostPID/hostIPC pod fails at RunPodSandbox at once.
        var spec = JsonNode.Parse(request.OciSpecJson) as JsonObject
            ?? throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: the OCI spec of {request.FirstContainerId} is not a JSON object");
        PodNamespaces.RequireOwnNamespaces(spec, request.FirstContainerId);
        var (vcpus, memoryMib) = PodSizing.Size(Annotations(spec), config.Vcpus, config.MemoryMib, Environment.ProcessorCount);
        if (vcpus != config.Vcpus || memoryMib != config.MemoryMib)
        {
            log.Information("pod {Pod} sized from its annotations: {Vcpus} vCPUs, {MemoryMib} MiB (base {BaseVcpus}, {BaseMemoryMib} MiB)", request.SandboxId, vcpus, memoryMib, config.Vcpus, config.MemoryMib);
            config = config with { Vcpus = vcpus, MemoryMib = memoryMib };
        }

        // CNI has run before the sandbox task's Create (CRI.md 1.2): its interfaces are there to
        // wire now, before QEMU starts, since QEMU gets the taps at start.
        var netnsPath = PodNamespaces.NetworkPath(spec);
        var network = netnsPath is null ? null : await PodNetwork.AttachAsync(netnsPath, log.ForContext("sandbox", request.SandboxId), cancellationToken).ConfigureAwait(false);
        try
        {
            return await QemuSandbox.BootAsync(request.SandboxId, config, _options, network, log, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (network is not null)
            {
                await network.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private static Dictionary<string, string> Annotations(JsonObject spec) =>
        spec["annotations"] is JsonObject annotations
            ? annotations.Where(a => a.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                .ToDictionary(a => a.Key, a => a.Value!.GetValue<string>(), StringComparer.Ordinal)
            : [];
}
