namespace Sev.Measurement;

/// <summary>Assembly marker.</summary>
internal static class AssemblyMarker
{
}
