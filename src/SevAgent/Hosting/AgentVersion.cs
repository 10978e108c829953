using System.Reflection;

namespace SevAgent.Hosting;

/// <summary>The agent's version (informational version of the assembly).</summary>
internal static class AgentVersion
{
    public static string Value { get; } =
        typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
