using Fuzz.Tests.Harness;
using SevAgent.Containers;

namespace Fuzz.Tests.Agent;

/// <summary>One input of the spec target: the shim's spec, what the agent imposes, and exec's process (or Update's resources) JSON.</summary>
internal sealed record SpecInput(string Spec, bool Terminal, bool Readonly, string[] Destinations, NamespaceJoinSpec[] Joins, string Other)
{
    public override string ToString() =>
        $"spec {Mutations.Show(Spec)}; terminal {Terminal}, readonly {Readonly}; mapped [{string.Join(", ", Destinations.Select(Mutations.Show))}]; " +
        $"joins [{string.Join(", ", Joins.Select(j => $"{Mutations.Show(j.Type)}={Mutations.Show(j.ContainerId)}"))}]; process/resources {Mutations.Show(Other)}";
}
