namespace Sev;

/// <summary>Assembly marker.</summary>
internal static class AssemblyMarker
{
}
