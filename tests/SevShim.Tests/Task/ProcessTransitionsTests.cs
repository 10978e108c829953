using SevShim.Errors;
using SevShim.Tasks;

namespace SevShim.Tests.Tasks;

public sealed class ProcessTransitionsTests
{
    public static TheoryData<string, string, string, string> LegalTransitions()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var kind in new[] { ProcessKind.Init, ProcessKind.Exec })
        {
            foreach (var ((from, op), to) in ProcessTransitions.For(kind))
            {
                data.Add(kind.ToString(), from.ToString(), op.ToString(), to.ToString());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LegalTransitions))]
    public void Every_legal_transition_moves_to_its_target(string kindName, string fromName, string opName, string toName)
    {
        var (kind, from, op) = Parse(kindName, fromName, opName);
        var to = Enum.Parse<ProcessState>(toName);
        var machine = new ProcessStateMachine(kind, "task t", from);
        Assert.True(machine.CanApply(op));
        Assert.Equal(to, machine.Apply(op));
        Assert.Equal(to, machine.State);
    }

    [Theory]
    [InlineData("Init", "Created", "Pause", "cannot pause task t in created state")]
    [InlineData("Init", "Created", "Resume", "cannot resume task t in created state")]
    [InlineData("Init", "Running", "Start", "cannot start task t in running state")]
    [InlineData("Init", "Running", "Delete", "cannot delete task t in running state (kill it")]
    [InlineData("Init", "Paused", "Delete", "cannot delete task t in paused state")]
    [InlineData("Init", "Paused", "Exec", "cannot add an exec to task t in paused state")]
    [InlineData("Init", "Pausing", "Pause", "cannot pause task t in pausing state")]
    [InlineData("Init", "Stopped", "Start", "cannot start task t in stopped state")]
    [InlineData("Init", "Stopped", "Exec", "in stopped state")]
    [InlineData("Init", "Deleted", "Delete", "cannot delete task t in deleted state")]
    [InlineData("Exec", "Created", "Kill", "cannot kill task t in created state")]
    [InlineData("Exec", "Running", "Pause", "cannot pause task t in running state")]
    [InlineData("Exec", "Running", "Delete", "cannot delete task t in running state")]
    [InlineData("Exec", "Stopped", "Start", "cannot start task t in stopped state")]
    public void Illegal_transitions_are_FailedPrecondition_naming_state_and_operation(string kindName, string fromName, string opName, string expected)
    {
        var (kind, from, op) = Parse(kindName, fromName, opName);
        var machine = new ProcessStateMachine(kind, "task t", from);
        Assert.False(machine.CanApply(op));
        var ex = Assert.Throws<ShimException>(() => machine.Apply(op));
        Assert.Equal(ShimErrorKind.FailedPrecondition, ex.Kind);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(from, machine.State);
    }

    [Theory]
    [InlineData("Init")]
    [InlineData("Exec")]
    public void Kill_of_a_finished_process_is_NotFound(string kindName)
    {
        var kind = Enum.Parse<ProcessKind>(kindName);
        var machine = new ProcessStateMachine(kind, "task t", ProcessState.Stopped);
        var ex = Assert.Throws<ShimException>(() => machine.Ensure(ProcessOperation.Kill));
        Assert.Equal(ShimErrorKind.NotFound, ex.Kind);
    }

    [Theory]
    [InlineData("Init")]
    [InlineData("Exec")]
    public void Every_pair_outside_the_table_throws_and_keeps_the_state(string kindName)
    {
        var kind = Enum.Parse<ProcessKind>(kindName);
        var table = ProcessTransitions.For(kind);
        var checkedPairs = 0;
        foreach (var state in Enum.GetValues<ProcessState>())
        {
            foreach (var op in Enum.GetValues<ProcessOperation>())
            {
                if (table.ContainsKey((state, op)))
                {
                    continue;
                }

                var machine = new ProcessStateMachine(kind, "p", state);
                Assert.Throws<ShimException>(() => machine.Apply(op));
                Assert.Equal(state, machine.State);
                checkedPairs++;
            }
        }

        Assert.True(checkedPairs > 0);
    }

    [Fact]
    public void Deleted_is_terminal_and_execs_never_pause()
    {
        Assert.DoesNotContain(ProcessTransitions.Init.Keys, k => k.From == ProcessState.Deleted);
        Assert.DoesNotContain(ProcessTransitions.Exec.Keys, k => k.From == ProcessState.Deleted);
        Assert.DoesNotContain(ProcessTransitions.Exec.Values, v => v is ProcessState.Paused or ProcessState.Pausing);
    }

    private static (ProcessKind Kind, ProcessState From, ProcessOperation Operation) Parse(string kind, string from, string operation) =>
        (Enum.Parse<ProcessKind>(kind), Enum.Parse<ProcessState>(from), Enum.Parse<ProcessOperation>(operation));
}
