using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Tests.Unit;

/// <summary>src/Posix/FdLease: a descriptor owned by a SafeHandle stays open while a call holds it.</summary>
public sealed class FdLeaseTests
{
    [Fact]
    public unsafe void A_handle_disposed_during_a_lease_closes_its_descriptor_only_when_the_lease_ends()
    {
        var (read, write) = Fd.Pipe();
        using (read)
        {
            int number;
            using (var lease = FdLease.Of(write))
            {
                number = lease.Value;
                write.Dispose();
                // Still ours: a write through the leased number reaches the pipe.
                byte one = 42;
                Assert.Equal(1, Posix.write(lease.Value, &one, 1));
                Assert.True(Posix.fcntl(number, Posix.F_GETFL, 0) >= 0);
            }

            // The lease ended: the handle's Dispose has closed the number now.
            Assert.True(Posix.fcntl(number, Posix.F_GETFL, 0) < 0 || !IsPipeWriteEnd(number, read));
            Assert.True(write.IsClosed);
        }
    }

    [Fact]
    public void A_closed_handle_cannot_be_leased()
    {
        var (read, write) = Fd.Pipe();
        read.Dispose();
        write.Dispose();

        Assert.Throws<ObjectDisposedException>(() =>
        {
            using var lease = FdLease.Of(read);
        });
    }

    // After the close another test's open may have taken the number; it is then not our pipe.
    private static bool IsPipeWriteEnd(int number, Microsoft.Win32.SafeHandles.SafeFileHandle read)
    {
        var ours = File.ResolveLinkTarget($"/proc/self/fd/{number}", returnFinalTarget: false)?.ToString();
        var pipe = File.ResolveLinkTarget($"/proc/self/fd/{(int)read.DangerousGetHandle()}", returnFinalTarget: false)?.ToString();
        return ours is not null && ours == pipe;
    }
}
