namespace SevShim.IntegrationTests.Support;

/// <summary>Polls a condition that the system reaches on its own (a task stopping, a pid going away).</summary>
public static class CtrWait
{
    /// <summary>True as soon as <paramref name="condition"/> holds; false when <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(250);
        }
    }
}
