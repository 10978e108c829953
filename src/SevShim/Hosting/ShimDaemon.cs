using System.Net.Sockets;
using System.Runtime.InteropServices;
using Serilog;
using SevRuntime.Posix;
using SevShim.Config;
using SevShim.Logging;
using Ttrpc;

namespace SevShim.Hosting;

/// <summary>
/// The long-running shim process (SHIM-PROTOCOL 4.4 "The daemon"): child subreaper, Serilog into
/// the bundle's log FIFO, the task API served by <see cref="TtrpcServer"/> on the listening socket
/// <c>start</c> passed as fd 3, exit on <see cref="DaemonLifetime"/> or SIGTERM/SIGINT, and the
/// socket removed on the way out.
/// </summary>
internal sealed class ShimDaemon
{
    /// <summary>How long in-flight calls get to finish once the daemon decided to exit.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly ShimArguments _args;
    private readonly ShimEnvironment _env;
    private readonly Func<DaemonContext, IAsyncDisposable> _registerServices;

    /// <param name="registerServices">Adds the task service to the server; the result is disposed at exit.</param>
    public ShimDaemon(ShimArguments args, ShimEnvironment env, Func<DaemonContext, IAsyncDisposable> registerServices)
    {
        _args = args;
        _env = env;
        _registerServices = registerServices;
    }

    public async Task<int> RunAsync()
    {
        // Processes whose parent dies inside the pod (QEMU helpers) are re-parented to us, not init.
        _ = Posix.prctl(Posix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        var bundle = _args.Bundle.Length > 0 ? Path.GetFullPath(_args.Bundle) : _env.WorkingDirectory;

        ConfigSource? configSource = null;
        ShimConfig? config = null;
        string? configError = null;
        try
        {
            configSource = ConfigLocator.Resolve(null, _env.Get);
            config = ConfigLocator.Load(configSource);
        }
        catch (ConfigException e)
        {
            configError = e.Message;
        }

        using var logging = ShimLogging.Create(bundle, _args.Debug, config?.LogLevel ?? ShimLogLevel.Info, _args.Namespace, _args.Id);
        Log.Logger = logging.Logger;
        var log = logging.Logger;
        if (configError is not null)
        {
            log.Error("configuration: {Error}", configError);
        }

        using var listener = InheritedListener();
        var socketPath = SocketPath(listener, bundle);
        log.Information("daemon started for {Id} on {Socket} (config {Config})", _args.Id, socketPath, configSource?.Path ?? "defaults");

        // Gives memory a burst (pod start, a container's output) committed back once it is over.
        using var trimmer = MemoryTrimmer.ForThisProcess(log);

        var lifetime = new DaemonLifetime();
        using var termination = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; lifetime.RequestExit("SIGTERM"); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; lifetime.RequestExit("SIGINT"); });

        var server = new TtrpcServer(new TtrpcServerOptions { Log = line => log.Warning("ttrpc: {Line}", line) });
        var services = _registerServices(new DaemonContext(server, lifetime, _args, _env, config ?? ShimConfig.Defaults, configSource, log));
        var serving = server.ServeAsync(listener, CancellationToken.None);
        var first = await Task.WhenAny(lifetime.ExitRequested, serving);
        var reason = first == serving ? "the listening socket closed" : await lifetime.ExitRequested;
        log.Information("daemon exiting: {Reason}", reason);

        using (var drain = new CancellationTokenSource(DrainTimeout))
        {
            await server.ShutdownAsync(drain.Token);
        }

        await services.DisposeAsync();
        await server.DisposeAsync();
        TryDelete(socketPath, log);
        log.Information("daemon exited");
        return 0;
    }

    /// <summary>fd 3 from start; anything else means the daemon was started by hand.</summary>
    private static Socket InheritedListener()
    {
        try
        {
            return new Socket(new SafeSocketHandle(DaemonSpawner.ListenerFd, ownsHandle: true));
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw new ShimUsageException($"the daemon (no action word) needs the listening socket on fd {DaemonSpawner.ListenerFd}; it is started by 'start', not by hand ({e.Message})", e);
        }
    }

    private static string? SocketPath(Socket listener, string bundle)
    {
        try
        {
            if (listener.LocalEndPoint is UnixDomainSocketEndPoint ep && ep.ToString() is { Length: > 0 } path && path[0] == '/')
            {
                return path;
            }
        }
        catch (SocketException)
        {
        }

        return BundleFiles.ReadAddress(bundle) is { } address && address.StartsWith(ShimSocketAddress.Scheme, StringComparison.Ordinal)
            ? ShimSocketAddress.PathOf(address)
            : null;
    }

    private static void TryDelete(string? socketPath, ILogger log)
    {
        if (socketPath is null)
        {
            return;
        }

        try
        {
            File.Delete(socketPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("cannot remove socket {Socket}: {Error}", socketPath, e.Message);
        }
    }
}
