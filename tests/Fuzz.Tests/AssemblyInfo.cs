// The targets run one after another: each uses every core, and the server target counts the
// allocations of all threads, which a target running beside it would inflate.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
