namespace SevAgentProto;

/// <summary>Assembly marker.</summary>
internal static class AssemblyMarker
{
}
