using Serilog;
using SevShim.Config;

namespace SevShim.Hosting;

/// <summary>
/// The composition root: parses the command line, builds what the chosen action needs and runs
/// it. Everything the binary does starts here; Program.cs only calls <see cref="RunAsync"/>.
/// Exit codes: 0 success, 1 failure (message on stderr), 2 bad command line.
/// </summary>
internal static class ShimHost
{
    /// <summary>containerd gives <c>delete</c> 5 s (io.containerd.timeout.shim.cleanup); keep a margin.</summary>
    private static readonly TimeSpan DeleteBudget = TimeSpan.FromSeconds(4);

    /// <summary>start does a handful of syscalls plus one connect probe.</summary>
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Wires the task API and its events publisher into the daemon's server, on the QEMU pod VM
    /// backend (one VM per pod, configuration loaded per pod from ConfigPath, SEVSHIM_CONFIG or
    /// /etc/sevshim/config.toml).
    /// </summary>
    private static readonly Func<DaemonContext, IAsyncDisposable> RegisterServices =
        context => DaemonServices.Register(context, new Sandbox.QemuSandboxFactory(context.Log));

    public static async Task<int> RunAsync(string[] args)
    {
        ShimArguments parsed;
        try
        {
            parsed = ShimArgumentParser.Parse(args);
        }
        catch (ShimUsageException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }

        var env = ShimEnvironment.Current();
        try
        {
            return parsed.Action switch
            {
                ShimAction.Start => await StartAsync(parsed, env),
                ShimAction.Delete => await DeleteAsync(parsed, env),
                ShimAction.Daemon => await new ShimDaemon(parsed, env, RegisterServices).RunAsync(),
                ShimAction.Version => AdminCommands.Version(Console.Out),
                ShimAction.Config => AdminCommands.Config(parsed.Rest, env, Console.Out, Console.Error),
                ShimAction.Check => await AdminCommands.CheckAsync(parsed.Rest, env, Console.Out, Console.Error),
                ShimAction.Measure => AdminCommands.Measure(parsed.Rest, Console.Out, Console.Error),
                ShimAction.Attestation => AdminCommands.Attestation(parsed.Rest, Console.Out, Console.Error),
                _ => Fail("-info (RuntimeInfo) is not supported by sevshim; containerd only needs it for idmapped mounts"),
            };
        }
        catch (Exception e) when (e is ShimUsageException or ConfigException or Errors.ShimException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            return Fail(e.Message);
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }

    private static async Task<int> StartAsync(ShimArguments args, ShimEnvironment env)
    {
        var stdin = Console.IsInputRedirected ? await ReadAllAsync(Console.OpenStandardInput()) : [];
        using var budget = new CancellationTokenSource(StartBudget);
        var address = await new StartCommand(args, env).RunAsync(stdin, budget.Token);
        await using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(System.Text.Encoding.UTF8.GetBytes(address));
        return 0;
    }

    private static async Task<int> DeleteAsync(ShimArguments args, ShimEnvironment env)
    {
        using var budget = new CancellationTokenSource(DeleteBudget);
        var response = await new DeleteCommand(args, env, Console.Error).RunAsync(budget.Token);
        await using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(response);
        return 0;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 1;
    }
}
