namespace Ttrpc;

/// <summary>Assembly marker.</summary>
internal static class AssemblyMarker
{
}
