namespace SevShim.IntegrationTests.Support;

/// <summary>
/// The `ctr` end-to-end tests run one after another on one private containerd: each sevshim
/// test boots QEMU under TCG, and two at once on a 2-core machine would only slow both. The CRI
/// suite (Cri/) runs in this collection too, on its own containerd (<see cref="Cri.CriFixture"/>),
/// for the same reason.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CtrCollection : ICollectionFixture<CtrFixture>, ICollectionFixture<Cri.CriFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "ctr end-to-end";
}
