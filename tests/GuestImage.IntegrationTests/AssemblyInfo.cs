// Every test here runs QEMU under TCG; two VMs at once on a loaded 2-core machine only slow each
// other down, so the collections run one after the other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
