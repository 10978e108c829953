namespace SevAgent.Hosting;

/// <summary>
/// The agent's version: the assembly's informational version (with the commit), as the constant
/// <c>Value</c> that SevAgent.csproj's WriteAgentVersionSource target generates at build time.
/// </summary>
internal static partial class AgentVersion;
