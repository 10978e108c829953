namespace SevShim.Hosting;

/// <summary>
/// Go's <c>path/filepath</c> Join and Clean on Linux, which containerd's shim package uses to build
/// the string whose sha256 names the shim socket (SHIM-PROTOCOL 4.4): the result must match Go's
/// byte for byte, or containerd and a second <c>start</c> of the same pod disagree on the socket.
/// </summary>
internal static class GoPath
{
    /// <summary>Joins the non-empty elements with '/' and cleans the result ("" when all are empty).</summary>
    public static string Join(params string[] elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        var parts = elements.Where(e => e.Length > 0).ToArray();
        return parts.Length == 0 ? string.Empty : Clean(string.Join('/', parts));
    }

    /// <summary>
    /// The shortest equivalent path by lexical rules: repeated slashes become one, "." elements go,
    /// ".." removes the element before it (and is dropped at the root of a rooted path), no
    /// trailing slash; empty becomes ".".
    /// </summary>
    public static string Clean(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return ".";
        }

        var rooted = path[0] == '/';
        var stack = new List<string>();
        foreach (var element in path.Split('/'))
        {
            if (element.Length == 0 || element == ".")
            {
                continue;
            }

            if (element == "..")
            {
                if (stack.Count > 0 && stack[^1] != "..")
                {
                    stack.RemoveAt(stack.Count - 1);
                }
                else if (!rooted)
                {
                    stack.Add("..");
                }

                continue;
            }

            stack.Add(element);
        }

        var joined = string.Join('/', stack);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }
}
