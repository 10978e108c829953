using System.Runtime.InteropServices;

namespace SevRuntime.Posix;

/// <summary>
/// The raw number of a descriptor that a <see cref="SafeHandle"/> owns, held for one native call:
/// the lease adds a reference, so a Dispose of the handle on another thread cannot close the
/// number (and let the kernel hand it to a new open) while the call still uses it; the close then
/// happens when the lease ends. This is what LibraryImport does for a SafeHandle parameter; the
/// shared declarations in <see cref="Posix"/> take int because the agent's bridges and poll
/// arrays need the number itself, so every caller that owns its descriptor through a handle takes
/// the number through a lease instead of DangerousGetHandle alone.
/// Use: <c>using (var fd = FdLease.Of(handle)) { Posix.read(fd.Value, ...); }</c>. A
/// <c>default</c> lease holds nothing (its Dispose does nothing), for a descriptor that is optional.
/// </summary>
internal ref struct FdLease
{
    private readonly SafeHandle _handle;
    private bool _added;

    private FdLease(SafeHandle handle)
    {
        _handle = handle;
        _added = false;
        // Throws ObjectDisposedException once the handle is closed, so a stale number is never used.
        handle.DangerousAddRef(ref _added);
        Value = (int)handle.DangerousGetHandle();
    }

    /// <summary>The descriptor's number, valid until <see cref="Dispose"/>.</summary>
    public int Value { get; }

    /// <summary>Leases <paramref name="handle"/>'s descriptor.</summary>
    /// <exception cref="ObjectDisposedException">The handle is already closed.</exception>
    public static FdLease Of(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new FdLease(handle);
    }

    /// <summary>Ends the lease (and closes the descriptor if its handle was disposed meanwhile).</summary>
    public void Dispose()
    {
        if (_added)
        {
            _added = false;
            _handle.DangerousRelease();
        }
    }
}
