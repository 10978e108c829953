namespace SevShim.IntegrationTests.Support;

/// <summary>
/// The `ctr` end-to-end tests run one after another on one private containerd: each sevshim
/// test boots QEMU under TCG, and two at once on a 2-core machine would only slow both.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CtrCollection : ICollectionFixture<CtrFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "ctr end-to-end";
}
