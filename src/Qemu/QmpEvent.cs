using System.Text.Json.Nodes;

namespace Qemu;

/// <summary>
/// An asynchronous QMP event: <c>{"event": NAME, "data": {...}, "timestamp": {"seconds", "microseconds"}}</c>
/// (docs/interop/qmp-spec, "Asynchronous events").
/// </summary>
/// <param name="Name">Event name, e.g. SHUTDOWN, STOP, RESUME.</param>
/// <param name="Data">The event's data object, or null when QEMU sent none.</param>
/// <param name="Timestamp">When QEMU emitted it (host clock).</param>
public sealed record QmpEvent(string Name, JsonObject? Data, DateTimeOffset Timestamp);
