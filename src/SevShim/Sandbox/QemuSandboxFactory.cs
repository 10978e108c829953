using Serilog;
using SevShim.Config;

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
        return await QemuSandbox.BootAsync(request.SandboxId, config, _options, log, cancellationToken).ConfigureAwait(false);
    }
}
