using Serilog;
using SevRuntime.Posix;
using SevShim.Config;

namespace SevShim.Hosting;

/// <summary>
/// containerd's <c>start</c> (SHIM-PROTOCOL 4.2 and 4.4): find the pod's socket, reuse a live shim
/// or spawn the daemon on a new listening socket, write the bundle's address file and print the
/// address. containerd 1.6 reads stdout and stderr combined and takes the whole output as the
/// address, so on success stdout gets the address alone and stderr nothing.
/// </summary>
internal sealed class StartCommand
{
    private readonly ShimArguments _args;
    private readonly ShimEnvironment _env;

    public StartCommand(ShimArguments args, ShimEnvironment env)
    {
        _args = args;
        _env = env;
    }

    /// <summary>Returns the address to print.</summary>
    public async Task<string> RunAsync(ReadOnlyMemory<byte> stdin, CancellationToken ct)
    {
        // When the verb began, for the start-up breakdown of the benchmark (bench/).
        var begun = DateTimeOffset.UtcNow;
        var bundle = _args.Bundle.Length > 0 ? Path.GetFullPath(_args.Bundle) : _env.WorkingDirectory;
        var options = RuntimeOptions.FromStartInput(stdin.Span);

        // Fail here, where ctr/CRI show the message, rather than at the first Create.
        var configSource = ConfigLocator.Resolve(options.ConfigPath, _env.Get);
        _ = ConfigLocator.Load(configSource);

        var spec = BundleSpec.Load(bundle);
        var groupKey = spec.GroupKey(_args.Id);
        var socketDir = options.SocketDir ?? ShimSocketAddress.SocketDir(_env.Get);
        var address = ShimSocketAddress.Compute(_args.Address, _args.Namespace, groupKey, socketDir);
        var socketPath = ShimSocketAddress.PathOf(address);

        if (!Directory.Exists(socketDir))
        {
            Directory.CreateDirectory(socketDir);
            _ = Posix.chmod(socketDir, 0x1c0 /* 0700: only containerd's user reaches the sockets */);
        }

        int? daemonPid = null;
        using (DirectoryLock.Acquire(socketDir))
        {
            using var listener = await ShimListener.BindOrReuseAsync(socketPath, ct);
            BundleFiles.WriteAddress(bundle, address);
            if (listener is not null)
            {
                try
                {
                    daemonPid = DaemonSpawner.Spawn(_env.ExecutablePath, DaemonArgv(), DaemonEnvironment(configSource), listener);
                }
                catch
                {
                    File.Delete(socketPath);
                    File.Delete(Path.Combine(bundle, BundleFiles.AddressFile));
                    throw;
                }
            }
        }

        var what = daemonPid is { } pid ? $"spawned daemon pid {pid}" : "reused the pod's running daemon";
        _ = BundleFiles.TryLogLine(bundle, $"{{\"@t\":\"{DateTimeOffset.UtcNow:O}\",\"@m\":\"start {_args.Id}: pod {groupKey}, {address}, {what}\",\"begun\":\"{begun:O}\",\"id\":\"{_args.Id}\",\"namespace\":\"{_args.Namespace}\"}}");
        Log.Debug("start {Id}: {What}", _args.Id, what);
        return address;
    }

    /// <summary>The daemon is the same binary with containerd's flags and no action word.</summary>
    private List<string> DaemonArgv()
    {
        var argv = new List<string>
        {
            _env.ExecutablePath,
            "-namespace", _args.Namespace,
            "-id", _args.Id,
            "-address", _args.Address,
        };
        if (_args.PublishBinary.Length > 0)
        {
            argv.AddRange(["-publish-binary", _args.PublishBinary]);
        }

        if (_args.Bundle.Length > 0)
        {
            argv.AddRange(["-bundle", Path.GetFullPath(_args.Bundle)]);
        }

        if (_args.Debug)
        {
            argv.Add("-debug");
        }

        return argv;
    }

    /// <summary>containerd's environment (TTRPC_ADDRESS etc.) plus the config file that start chose.</summary>
    private Dictionary<string, string> DaemonEnvironment(ConfigSource configSource)
    {
        var env = new Dictionary<string, string>(_env.Variables, StringComparer.Ordinal);
        if (configSource.Explicit)
        {
            env[ConfigLocator.EnvironmentVariable] = configSource.Path;
        }

        return env;
    }
}
