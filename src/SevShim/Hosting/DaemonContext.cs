using Serilog;
using SevShim.Config;
using Ttrpc;

namespace SevShim.Hosting;

/// <summary>
/// What the composition root hands the service registration in the daemon: the server to add
/// methods to, the lifetime to end the process, containerd's flags (namespace for events), the
/// environment (TTRPC_ADDRESS), the configuration the daemon started with and its logger.
/// </summary>
internal sealed record DaemonContext(
    TtrpcServer Server,
    DaemonLifetime Lifetime,
    ShimArguments Arguments,
    ShimEnvironment Environment,
    ShimConfig Config,
    ConfigSource? ConfigSource,
    ILogger Log);
