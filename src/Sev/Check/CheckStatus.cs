namespace Sev.Check;

/// <summary>Outcome of one host check item.</summary>
public enum CheckStatus
{
    /// <summary>The requirement is met.</summary>
    Ok,

    /// <summary>The requirement is not met; the item's fix says how to meet it.</summary>
    Missing,

    /// <summary>It could not be determined (e.g. it depends on an item that is missing).</summary>
    Unknown,
}
