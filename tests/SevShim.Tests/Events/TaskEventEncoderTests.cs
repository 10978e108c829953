using SevShim.Events;
using SevShim.Protos.Containerd.Events;
using SevShim.Sandbox;

namespace SevShim.Tests.Events;

public sealed class TaskEventEncoderTests
{
    private static readonly DateTimeOffset At = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    [Fact]
    public void Exit_of_init_uses_the_container_id_as_id_and_a_bare_type_url()
    {
        var envelope = TaskEventEncoder.ToEnvelope(TaskEvent.Exited("c1", "", 42, 7, At), "k8s.io", At);
        Assert.Equal("/tasks/exit", envelope.Topic);
        Assert.Equal("k8s.io", envelope.Namespace);
        Assert.Equal(At.ToUnixTimeSeconds(), envelope.Timestamp.Seconds);
        Assert.Equal("containerd.events.TaskExit", envelope.Event.TypeUrl);
        var exit = TaskExit.Parser.ParseFrom(envelope.Event.Value);
        Assert.Equal(("c1", "c1", 42u, 7u), (exit.ContainerId, exit.Id, exit.Pid, exit.ExitStatus));
        Assert.Equal(At.ToUnixTimeSeconds(), exit.ExitedAt.Seconds);
    }

    [Fact]
    public void Exit_of_an_exec_uses_the_exec_id()
    {
        var exit = (TaskExit)TaskEventEncoder.ToMessage(TaskEvent.Exited("c1", "e1", 43, 0, At));
        Assert.Equal("e1", exit.Id);
    }

    [Fact]
    public void Create_carries_bundle_rootfs_io_and_pid()
    {
        var e = TaskEvent.Created("c1", "/b", [new RootfsMount("overlay", "src", "", ["ro"])], new StdioPaths("in", "out", "err", true), 9);
        var create = (TaskCreate)TaskEventEncoder.ToMessage(e);
        Assert.Equal(("c1", "/b", 9u), (create.ContainerId, create.Bundle, create.Pid));
        Assert.Equal("overlay", create.Rootfs.Single().Type);
        Assert.Equal(["ro"], create.Rootfs.Single().Options);
        Assert.Equal(("in", "out", "err", true), (create.Io.Stdin, create.Io.Stdout, create.Io.Stderr, create.Io.Terminal));
    }

    [Theory]
    [InlineData("Create", "/tasks/create")]
    [InlineData("Start", "/tasks/start")]
    [InlineData("Exit", "/tasks/exit")]
    [InlineData("Delete", "/tasks/delete")]
    [InlineData("ExecAdded", "/tasks/exec-added")]
    [InlineData("ExecStarted", "/tasks/exec-started")]
    [InlineData("Oom", "/tasks/oom")]
    [InlineData("Paused", "/tasks/paused")]
    [InlineData("Resumed", "/tasks/resumed")]
    public void Topics_are_containerds(string kind, string topic)
    {
        var k = Enum.Parse<TaskEventKind>(kind);
        Assert.Equal(topic, TaskEventEncoder.Topic(k));
        var message = TaskEventEncoder.ToMessage(new TaskEvent(k, "c1"));
        Assert.StartsWith("containerd.events.Task", message.Descriptor.FullName, StringComparison.Ordinal);
    }
}
