using SevShim.Sandbox;
using SevShim.Tasks;

namespace SevShim.Tests.Tasks;

/// <summary>
/// A task service over <see cref="FakeSandboxFactory"/> and <see cref="FakeEventSink"/>, with
/// bundles (config.json) in a temp directory that is removed on dispose.
/// </summary>
internal sealed class TaskServiceHarness : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sevshim-task-").FullName;

    public TaskServiceHarness(TaskServiceOptions? options = null)
    {
        Service = new TaskService(Factory, Events, Serilog.Core.Logger.None, options ?? new TaskServiceOptions { ShimPid = 4242, Version = "test" });
    }

    public FakeSandboxFactory Factory { get; } = new();

    public FakeEventSink Events { get; } = new();

    public TaskService Service { get; }

    public FakeSandbox Sandbox => Factory.Last;

    /// <summary>Writes a bundle with a minimal OCI spec, optionally naming a CRI pod.</summary>
    public string Bundle(string id, string? sandboxId = null)
    {
        var dir = Path.Combine(_root, id);
        Directory.CreateDirectory(dir);
        var annotations = sandboxId is null ? "{}" : $"{{\"io.kubernetes.cri.sandbox-id\":\"{sandboxId}\"}}";
        File.WriteAllText(Path.Combine(dir, "config.json"), $"{{\"ociVersion\":\"1.0.2\",\"process\":{{\"args\":[\"sh\"]}},\"annotations\":{annotations}}}");
        return dir;
    }

    public CreateTaskCommand Command(string id, string? sandboxId = null, string checkpoint = "") =>
        new(id, Bundle(id, sandboxId), [new RootfsMount("overlay", "overlay", string.Empty, ["lowerdir=/a"])], new StdioPaths("", $"/fifo/{id}-stdout", "", false), checkpoint, null);

    public Task<uint> CreateAsync(string id, string? sandboxId = null) => Service.CreateAsync(Command(id, sandboxId), CancellationToken.None);

    public async Task<uint> CreateAndStartAsync(string id, string? sandboxId = null)
    {
        await CreateAsync(id, sandboxId);
        return await Service.StartAsync(id, string.Empty, CancellationToken.None);
    }

    public Task ExecAsync(string id, string execId) =>
        Service.ExecAsync(new ExecProcessCommand(id, execId, StdioPaths.None, "{\"args\":[\"true\"]}"), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
