namespace SevShim.Sandbox;

/// <summary>One line of io.stat (a block device inside the guest).</summary>
internal sealed record IoDeviceStats(ulong Major, ulong Minor, ulong ReadBytes, ulong WriteBytes, ulong ReadIos, ulong WriteIos);
