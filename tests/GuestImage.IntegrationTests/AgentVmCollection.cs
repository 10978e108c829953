namespace GuestImage.IntegrationTests;

/// <summary>The tests that share one agent VM (<see cref="AgentVmFixture"/>).</summary>
[CollectionDefinition(Name)]
public sealed class AgentVmCollection : ICollectionFixture<AgentVmFixture>
{
    public const string Name = "agent VM";
}
