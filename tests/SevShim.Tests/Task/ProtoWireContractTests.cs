using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Cgroups.V2;
using SevShim.Protos.Containerd.Events;
using SevShim.Protos.Containerd.EventsTtrpc;
using SevShim.Protos.Containerd.RuntimeOptions;
using SevShim.Protos.Containerd.TaskV2;
using SevShim.Protos.Containerd.Types;
using SevShim.Protos.Containerd.V1Types;

namespace SevShim.Tests.Tasks;

/// <summary>
/// The proto files under proto/containerd are written here from SHIM-PROTOCOL.md; these tests
/// pin the facts containerd depends on (package-qualified names, field numbers, enum values)
/// so a renumbering or a renamed package fails the build's tests, not a live containerd.
/// </summary>
public sealed class ProtoWireContractTests
{
    [Fact]
    public void CreateTaskRequest_id_is_field_1_and_options_field_10()
    {
        var bytes = new CreateTaskRequest { Id = "a" }.ToByteArray();
        Assert.Equal(new byte[] { 0x0a, 0x01, (byte)'a' }, bytes);

        var withOptions = new CreateTaskRequest { Options = new Any { TypeUrl = "x" } }.ToByteArray();
        // tag (10 << 3) | 2 = 0x52, length 3, then Any.type_url (field 1) "x".
        Assert.Equal(new byte[] { 0x52, 0x03, 0x0a, 0x01, (byte)'x' }, withOptions);
    }

    [Fact]
    public void Runtime_options_bytes_observed_from_ctr_decode()
    {
        // SHIM-PROTOCOL.md 4.2: stdin of start held Any{type_url="runtimeoptions.v1.Options",
        // value=Options{config_path=<path>}}; value starts 0x12 (field 2, length-delimited).
        var options = Options.Parser.ParseFrom(new byte[] { 0x12, 0x03, (byte)'/', (byte)'a', (byte)'b' });
        Assert.Equal("/ab", options.ConfigPath);
        Assert.Equal("runtimeoptions.v1.Options", Options.Descriptor.FullName);
    }

    [Fact]
    public void State_status_enum_matches_containerd_numbering()
    {
        Assert.Equal(0, (int)Status.Unknown);
        Assert.Equal(1, (int)Status.Created);
        Assert.Equal(2, (int)Status.Running);
        Assert.Equal(3, (int)Status.Stopped);
        Assert.Equal(4, (int)Status.Paused);
        Assert.Equal(5, (int)Status.Pausing);
        var bytes = new StateResponse { Status = Status.Paused, ExitStatus = 7 }.ToByteArray();
        Assert.Equal(new byte[] { 0x20, 0x04, 0x48, 0x07 }, bytes);
    }

    [Theory]
    [InlineData("containerd.task.v2.CreateTaskRequest", "options", 10)]
    [InlineData("containerd.task.v2.CreateTaskRequest", "rootfs", 3)]
    [InlineData("containerd.task.v2.DeleteResponse", "exited_at", 3)]
    [InlineData("containerd.task.v2.ExecProcessRequest", "spec", 7)]
    [InlineData("containerd.task.v2.StateResponse", "exec_id", 11)]
    [InlineData("containerd.task.v2.StateResponse", "exited_at", 10)]
    [InlineData("containerd.task.v2.KillRequest", "all", 4)]
    [InlineData("containerd.task.v2.UpdateTaskRequest", "annotations", 3)]
    [InlineData("containerd.task.v2.ConnectResponse", "version", 3)]
    [InlineData("containerd.task.v2.ShutdownRequest", "now", 2)]
    [InlineData("containerd.task.v2.WaitResponse", "exited_at", 2)]
    [InlineData("containerd.types.Mount", "options", 4)]
    [InlineData("containerd.v1.types.ProcessInfo", "info", 2)]
    [InlineData("containerd.events.TaskCreate", "pid", 6)]
    [InlineData("containerd.events.TaskExit", "exited_at", 5)]
    [InlineData("containerd.events.TaskDelete", "id", 5)]
    [InlineData("containerd.events.TaskExecStarted", "pid", 3)]
    [InlineData("containerd.events.TaskCheckpointed", "checkpoint", 2)]
    [InlineData("containerd.services.events.ttrpc.v1.Envelope", "event", 4)]
    [InlineData("containerd.services.events.ttrpc.v1.ForwardRequest", "envelope", 1)]
    [InlineData("runtimeoptions.v1.Options", "config_body", 3)]
    [InlineData("io.containerd.cgroups.v2.Metrics", "memory", 4)]
    [InlineData("io.containerd.cgroups.v2.Metrics", "memory_events", 8)]
    [InlineData("io.containerd.cgroups.v2.MemoryStat", "swap_max_usage", 37)]
    [InlineData("io.containerd.cgroups.v2.HugeTlbStat", "pagesize", 3)]
    public void Field_numbers_match_the_fact_sheet(string message, string field, int number)
    {
        var descriptor = Find(message);
        Assert.NotNull(descriptor);
        var f = descriptor!.FindFieldByName(field);
        Assert.NotNull(f);
        Assert.Equal(number, f!.FieldNumber);
    }

    [Fact]
    public void Task_exit_encodes_with_containerd_field_numbers()
    {
        var exit = new TaskExit { ContainerId = "c", Id = "c", Pid = 5, ExitStatus = 7 };
        Assert.Equal(
            new byte[] { 0x0a, 0x01, (byte)'c', 0x12, 0x01, (byte)'c', 0x18, 0x05, 0x20, 0x07 },
            exit.ToByteArray());
    }

    [Fact]
    public void Service_blocks_name_every_task_method()
    {
        var v2 = SevShim.Protos.Containerd.TaskV2.ShimReflection.Descriptor.Services.Single();
        var v3 = SevShim.Protos.Containerd.TaskV3.ShimReflection.Descriptor.Services.Single();
        Assert.Equal("containerd.task.v2.Task", v2.FullName);
        Assert.Equal("containerd.task.v3.Task", v3.FullName);
        string[] methods =
        [
            "State", "Create", "Start", "Delete", "Pids", "Pause", "Resume", "Checkpoint", "Kill",
            "Exec", "ResizePty", "CloseIO", "Update", "Wait", "Stats", "Connect", "Shutdown",
        ];
        Assert.Equal(methods, v2.Methods.Select(m => m.Name));
        Assert.Equal(methods, v3.Methods.Select(m => m.Name));
        Assert.Equal(
            "containerd.services.events.ttrpc.v1.Events",
            EventsReflection.Descriptor.Services.Single().FullName);
    }

    private static MessageDescriptor? Find(string fullName)
    {
        FileDescriptor[] files =
        [
            SevShim.Protos.Containerd.TaskV2.ShimReflection.Descriptor,
            MountReflection.Descriptor,
            SevShim.Protos.Containerd.V1Types.TaskReflection.Descriptor,
            SevShim.Protos.Containerd.Events.TaskReflection.Descriptor,
            EventsReflection.Descriptor,
            SevShim.Protos.Containerd.RuntimeOptions.ApiReflection.Descriptor,
            MetricsReflection.Descriptor,
        ];
        return files.SelectMany(f => f.MessageTypes).FirstOrDefault(m => m.FullName == fullName);
    }
}
