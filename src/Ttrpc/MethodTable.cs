namespace Ttrpc;

/// <summary>
/// The registered handlers by service and method name. Thread-safe (one lock, held only for
/// dictionary access), so methods may be added while the server runs.
/// </summary>
internal sealed class MethodTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, ServerMethod>> _services = new(StringComparer.Ordinal);

    /// <summary>Adds a handler; a second handler for the same name is a programming error.</summary>
    public void Add(string service, string method, ServerMethod handler)
    {
        lock (_lock)
        {
            if (!_services.TryGetValue(service, out var methods))
            {
                methods = new Dictionary<string, ServerMethod>(StringComparer.Ordinal);
                _services.Add(service, methods);
            }

            if (!methods.TryAdd(method, handler))
            {
                throw new InvalidOperationException($"ttrpc method {service}/{method} is already registered: register each method once");
            }
        }
    }

    /// <summary>
    /// Finds a handler, or throws Unimplemented with Go ttrpc's messages
    /// ("service NAME" / "method NAME", SHIM-PROTOCOL.md 1.2).
    /// </summary>
    public ServerMethod Resolve(string service, string method)
    {
        lock (_lock)
        {
            if (!_services.TryGetValue(service, out var methods))
            {
                throw new TtrpcException(TtrpcStatusCode.Unimplemented, $"service {service}");
            }

            return methods.TryGetValue(method, out var handler)
                ? handler
                : throw new TtrpcException(TtrpcStatusCode.Unimplemented, $"method {method}");
        }
    }
}
