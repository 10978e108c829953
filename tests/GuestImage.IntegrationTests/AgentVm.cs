using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using SevAgent.Protocol.V1;
using SevAgentProto;
using TestSupport;

namespace GuestImage.IntegrationTests;

/// <summary>
/// A guest VM booted from the image with the real agent as PID 1, and a gRPC client connected to
/// the agent over the virtio-serial port's host socket. Owns the VM and the channel.
/// </summary>
internal sealed class AgentVm : IAsyncDisposable
{
    /// <summary>Boot plus agent start-up under TCG on a loaded 2-core machine: 4 to 30 s, rarely more.</summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(180);

    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(20);

    private GrpcChannel? _channel;

    private AgentVm(QemuGuest vm)
    {
        Vm = vm;
    }

    public QemuGuest Vm { get; }

    public Agent.AgentClient Client { get; private set; } = null!;

    /// <summary>From QEMU's start to the agent's first SERVING answer.</summary>
    public TimeSpan TimeToReady { get; private set; }

    public static string[] Requirements => [Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary];

    /// <summary>Boots the VM and waits (up to <see cref="BootTimeout"/>) until the agent answers Health.</summary>
    public static async Task<AgentVm> BootAsync(CancellationToken cancellationToken = default)
    {
        var image = GuestImageFiles.Load();
        CheckImageHasCurrentAgent(image);
        var stopwatch = Stopwatch.StartNew();
        var agentVm = new AgentVm(QemuGuest.Start(image, image.KernelCmdline, AgentConstants.ShareMountTag));
        try
        {
            await agentVm.ConnectAsync(stopwatch, cancellationToken);
            return agentVm;
        }
        catch
        {
            await agentVm.DisposeAsync();
            throw;
        }
    }

    /// <summary>A call deadline for ordinary calls (generous: TCG on a loaded machine).</summary>
    public static DateTime Deadline(int seconds = 120) => DateTime.UtcNow.AddSeconds(seconds);

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        await Vm.DisposeAsync();
    }

    private static void CheckImageHasCurrentAgent(GuestImageFiles image)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(image.Manifest));
        var inImage = doc.RootElement.GetProperty("agent_sha256").GetString();
        string current;
        using (var stream = File.OpenRead(RepoPaths.AgentBinary))
        {
            current = Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        if (!string.Equals(inImage, current, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"the guest image in {image.Dir} holds another agent build than {RepoPaths.AgentBinary} " +
                $"(sha256 {inImage} vs {current}): rerun guest-image/build.sh");
        }
    }

    private async Task ConnectAsync(Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + BootTimeout;

        // The guest drops what the host sends before the agent opens its port, so connect after
        // QEMU reports the port open; retry anyway, with a fresh connection each time (QEMU's
        // chardev serves one connection at a time, and a stalled HTTP/2 preface never recovers).
        await Vm.WaitForAgentPortOpenAsync(BootTimeout, cancellationToken);
        RpcException? last = null;
        while (DateTime.UtcNow < deadline)
        {
            _channel?.Dispose();
            _channel = AgentChannel.ForUnixSocket(Vm.AgentSocket);
            Client = new Agent.AgentClient(_channel);
            try
            {
                var health = await Client.HealthAsync(new HealthRequest(), deadline: DateTime.UtcNow + AttemptTimeout, cancellationToken: cancellationToken);
                if (health.Status == HealthResponse.Types.ServingStatus.Serving)
                {
                    TimeToReady = stopwatch.Elapsed;
                    return;
                }
            }
            catch (RpcException e)
            {
                last = e;
            }

            if (Vm.HasExited)
            {
                throw new InvalidOperationException("QEMU exited before the agent answered" + Vm.Diagnostics());
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        throw new TimeoutException($"the agent did not answer Health within {BootTimeout.TotalSeconds} s (last error: {last?.Status})" + Vm.Diagnostics());
    }
}
