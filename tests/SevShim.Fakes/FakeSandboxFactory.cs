using System.Collections.Concurrent;
using SevShim.Sandbox;

namespace SevShim.Fakes;

/// <summary>Makes <see cref="FakeSandbox"/>es and remembers them.</summary>
internal sealed class FakeSandboxFactory : ISandboxFactory
{
    public ConcurrentQueue<FakeSandbox> Created { get; } = new();

    /// <summary>Applied to each new sandbox before it is returned.</summary>
    public Action<FakeSandbox>? Configure { get; set; }

    public FakeSandbox Last => Created.Last();

    /// <summary>When set, CreateAsync throws what it returns (a VM that cannot be made).</summary>
    public Func<Exception>? FailWith { get; set; }

    public Task<ISandbox> CreateAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        if (FailWith is { } fail)
        {
            throw fail();
        }

        var sandbox = new FakeSandbox(request);
        Configure?.Invoke(sandbox);
        Created.Enqueue(sandbox);
        return Task.FromResult<ISandbox>(sandbox);
    }
}
