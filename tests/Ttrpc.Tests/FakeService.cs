using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;

namespace Ttrpc.Tests;

/// <summary>Handlers for the tests, with signals the tests wait on (no sleeps as synchronisation).</summary>
internal sealed class FakeService
{
    public const string Name = "test.v1.Fake";

    private readonly ConcurrentDictionary<int, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _gateStarted = new();

    /// <summary>Set when Block starts.</summary>
    public TaskCompletionSource BlockStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when Block's token is cancelled.</summary>
    public TaskCompletionSource BlockCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Gate(int n) => _gates.GetOrAdd(n, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public TaskCompletionSource GateStarted(int n) => _gateStarted.GetOrAdd(n, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Register(TtrpcServer server)
    {
        server.AddMethod(Name, "Echo", StringValue.Parser, (request, _, _) => Task.FromResult(new StringValue { Value = request.Value }));
        server.AddMethod(Name, "Context", Empty.Parser, (_, context, _) => Task.FromResult(new StringValue
        {
            Value = string.Join(
                '|',
                context.Service,
                context.Method,
                context.PeerUid,
                context.PeerPid,
                context.Metadata.TryGetValue("k", out var values) ? string.Join(',', values) : "-",
                context.Deadline is null ? "no-deadline" : "deadline"),
        }));
        server.AddMethod(Name, "Gate", Int32Value.Parser, async (request, _, token) =>
        {
            GateStarted(request.Value).TrySetResult();
            await Gate(request.Value).Task.WaitAsync(token);
            return new Int32Value { Value = request.Value };
        });
        server.AddMethod(Name, "Block", Empty.Parser, async (request, _, token) =>
        {
            BlockStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                BlockCancelled.TrySetResult();
                throw;
            }

            return request;
        });
        server.AddMethod<StringValue, Empty>(Name, "Fail", StringValue.Parser, (request, _, _) => request.Value == "notfound"
            ? throw new TtrpcException(TtrpcStatusCode.NotFound, "no such thing")
            : throw new InvalidOperationException(request.Value));
    }
}
