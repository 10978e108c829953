namespace Sev.Launch;

/// <summary>
/// The guest's <c>swiotlb=</c> bounce-buffer size in 2 KiB slabs (SEV.md 7). Every device DMA of
/// an SEV guest goes through it. 262144 slabs (512 MiB, AMD's advice) for guests of 2 GiB or
/// more; a quarter of guest memory for smaller guests, since the pool must fit contiguously below
/// 4 GiB (AMDSEV FAQ-5).
/// </summary>
public static class SwiotlbSize
{
    /// <summary>Bytes per slab (IO_TLB_SHIFT = 11).</summary>
    public const int SlabBytes = 2048;

    /// <summary>The kernel rounds the count up to a multiple of IO_TLB_SEGSIZE = 128 slabs.</summary>
    public const int SegmentSlabs = 128;

    /// <summary>AMD's recommendation: 262144 slabs = 512 MiB.</summary>
    public const int Large = 262144;

    /// <summary>Slabs for a guest of <paramref name="guestMemoryMiB"/>, or the validated override.</summary>
    public static int Slabs(int guestMemoryMiB, int? overrideSlabs)
    {
        if (guestMemoryMiB <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(guestMemoryMiB), guestMemoryMiB, "guest memory (vm.memory_mib) must be positive");
        }

        if (overrideSlabs is { } slabs)
        {
            var mib = (long)slabs * SlabBytes / (1024 * 1024);
            if (slabs <= 0 || mib >= guestMemoryMiB)
            {
                throw new ArgumentOutOfRangeException(nameof(overrideSlabs), slabs,
                    $"swiotlb slabs {slabs} ({mib} MiB of 2 KiB slabs) must be positive and smaller than the guest memory {guestMemoryMiB} MiB (confidential.swiotlb_slabs)");
            }

            return slabs;
        }

        if (guestMemoryMiB >= 2048)
        {
            return Large;
        }

        // A quarter of guest memory: MiB * 1024 * 1024 / 4 / 2048 = MiB * 128, a multiple of 128 already.
        return guestMemoryMiB * (1024 * 1024 / 4 / SlabBytes);
    }
}
