using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SevAgent.Containers;
using SevAgent.Guest;
using SevAgent.Hosting;
using SevAgent.Native;
using SevAgent.Services;
using SevAgent.Stats;
using SevAgent.Transport;
using SevAgentProto;

// The in-guest agent (ARCHITECTURE.md decision 3): gRPC on Kestrel, kept minimal because its
// start-up is the largest piece of guest boot under TCG (CreateEmptyBuilder + UseKestrelCore +
// AddRoutingCore + AddGrpc measured 2.8x faster than CreateSlimBuilder).
var started = new StartupTrace();
AgentOptions options;
try
{
    options = AgentOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("sevagent: " + e.Message);
    return 2;
}

if (options.ShowHelp)
{
    Console.Out.Write(AgentOptions.Usage);
    return 0;
}

if (options.ShowVersion)
{
    Console.Out.WriteLine(AgentVersion.Value);
    return 0;
}

started.Mark("options");
using var loggerProvider = new StderrLoggerProvider(options.LogLevel);
var log = loggerProvider.CreateLogger("SevAgent.Program");
started.Mark("logprovider");
log.LogInformation("sevagent {Version} starting as pid {Pid}", AgentVersion.Value, Environment.ProcessId);
started.Mark("logger");
Pid1Setup.Run(log);
Directory.CreateDirectory(options.StateDir);
started.Mark("pid1");

string kestrelSocket;
string? virtioDevice = null;
var listen = options.Listen;
if (listen == ListenKind.Unix)
{
    kestrelSocket = options.ListenTarget;
}
else
{
    kestrelSocket = Path.Combine(options.StateDir, "agent-internal.sock");
    if (listen is ListenKind.Auto or ListenKind.VirtioSerial)
    {
        var name = listen == ListenKind.VirtioSerial ? options.ListenTarget : AgentConstants.VirtioSerialPortName;
        virtioDevice = VirtioSerialBridge.FindPort(name);
        if (virtioDevice is null)
        {
            log.LogCritical("no virtio-serial port named {Name} in /sys/class/virtio-ports: " +
                "give the VM -device virtserialport,name={Name}, or run with --listen unix:PATH", name, name);
            return 3;
        }

        listen = ListenKind.VirtioSerial;
    }
}

// A guest has one or two vCPUs, so the thread pool starts with one or two threads, while every
// crun call parks two of them in blocking pipe reads and gRPC handlers wait on those calls: keep
// enough threads from the start that no request waits for the pool's slow thread injection.
ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
ThreadPool.SetMinThreads(Math.Max(minWorkers, 16), Math.Max(minIo, 16));

File.Delete(kestrelSocket);
started.Mark("port");
// A fixed application name: left null, the host reads the entry assembly's name by reflection,
// whose first use is slow under TCG (issue #6).
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "sevagent" });
started.Mark("builder");
builder.Logging.AddProvider(loggerProvider);
builder.Logging.SetMinimumLevel(options.LogLevel);
// Kestrel and gRPC log every request at Information; on a 115200-baud guest console that costs
// real time, so they speak only from Warning unless --log-level debug asks for everything.
if (options.LogLevel > LogLevel.Debug)
{
    builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
    builder.Logging.AddFilter("Grpc", LogLevel.Warning);
}

builder.WebHost.UseKestrelCore();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    // The shim keeps one connection for the pod's life; never close it for idleness. A year, not
    // Timeout.InfiniteTimeSpan: Kestrel stores "infinite" as TimeSpan.MaxValue, and its HTTP/2
    // TimeoutControl adds that as long.MaxValue ticks to the current timestamp, which overflows
    // to a deadline in the past. Every connection was then closed (GOAWAY NO_ERROR) at the first
    // heartbeat after its last stream ended, and a streaming call opened in that window failed
    // with "The HTTP/2 server closed the connection" (issue 14's component flake; seen in the
    // agent's debug log as "is closing" within a second of every idle moment).
    kestrel.Limits.KeepAliveTimeout = TimeSpan.FromDays(365);
    // Kestrel's data-rate limits (240 B/s after a 5 s grace) guard public servers against slow
    // clients; over HTTP/2 a violation aborts the whole connection, so a shim (or test) that is
    // descheduled for 5 s between a call's HEADERS and DATA lost every call on the link ("The
    // HTTP/2 server closed the connection", issue 14). The one peer is trusted; its calls carry
    // their own deadlines.
    kestrel.Limits.MinRequestBodyDataRate = null;
    kestrel.Limits.MinResponseDataRate = null;
    // Each process can hold several streams (stdout, stderr, stdin, wait) at once.
    kestrel.Limits.Http2.MaxStreamsPerConnection = 4096;
    kestrel.ListenUnixSocket(kestrelSocket, l => l.Protocols = HttpProtocols.Http2);
});
builder.Services.AddRoutingCore();
builder.Services.AddGrpc(o =>
{
    o.MaxReceiveMessageSize = 16 * 1024 * 1024;
    o.EnableDetailedErrors = true;
});
// Our own method provider replaces the default reflection-based one (AgentServiceMethodProvider).
builder.Services.RemoveAll(typeof(IServiceMethodProvider<>));
builder.Services.AddSingleton<IServiceMethodProvider<AgentService>, AgentServiceMethodProvider>();
builder.Services.AddSingleton<AgentService>();
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(new CgroupLayout());
builder.Services.AddSingleton<ChildReaper>();
builder.Services.AddSingleton<Spawner>();
builder.Services.AddSingleton<Crun>();
builder.Services.AddSingleton<OomMonitor>();
builder.Services.AddSingleton<ModuleLoadGate>();
builder.Services.AddSingleton<ModuleLoader>();
builder.Services.AddSingleton<SnpReportReader>();
builder.Services.AddSingleton<VolumeCopies>();
builder.Services.AddSingleton<SevAgent.Network.GuestNetwork>();
builder.Services.AddSingleton(new SevAgent.Network.GuestListeners());
builder.Services.AddSingleton<SevAgent.Network.GuestPortForward>();
builder.Services.AddSingleton<RootfsMounter>();
builder.Services.AddSingleton<ProcessLauncher>();
builder.Services.AddSingleton<ContainerRegistry>();
builder.Services.AddSingleton<ContainerManager>();
builder.Services.AddSingleton<ContainerProcesses>();
builder.Services.AddSingleton<ShutdownCoordinator>();

started.Mark("configure");
var app = builder.Build();
started.Mark("build");
app.MapGrpcService<AgentService>();
started.Mark("map");
app.Services.GetRequiredService<ChildReaper>().Start();
started.Mark("reaper");
app.Lifetime.ApplicationStopping.Register(() =>
{
    // Leave no container behind when the agent is stopped (tests on a host, SIGTERM).
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
    app.Services.GetRequiredService<ContainerManager>().DeleteAllAsync(timeout.Token).GetAwaiter().GetResult();
});

await app.StartAsync();
started.Mark("start");
var inner = new InternalEndpoint(kestrelSocket);
switch (listen)
{
    case ListenKind.VirtioSerial:
        new VirtioSerialBridge(virtioDevice!, inner, FrameTracker.Http2, log).Start();
        SevAgent.Io.StdioLink.Start(options.StateDir, new SevAgent.Io.ProcessStdioStreams(app.Services.GetRequiredService<ContainerProcesses>()), log);
        log.LogInformation("serving on virtio-serial {Device} after {Ms} ms", virtioDevice, started.ElapsedMilliseconds);
        break;
    default:
        log.LogInformation("serving on unix:{Path} after {Ms} ms", kestrelSocket, started.ElapsedMilliseconds);
        break;
}

started.Mark("bridge");
log.LogInformation("start-up: {Trace}", started.Summary());
await app.WaitForShutdownAsync();
return 0;
