using CsCheck;
using Fuzz.Tests.Harness;
using SevAgent.Containers;
using SevAgent.Errors;

namespace Fuzz.Tests.Agent;

/// <summary>
/// The id and path checks: an id PathGuard accepts is one plain segment under the directory it
/// names; a share path it resolves lies under the share (on a tree with symlinks inside, out of
/// it, to a sibling whose name starts like the share's, in a loop and dangling); IsInside agrees
/// with Path.GetRelativePath on canonical paths.
/// </summary>
public sealed partial class AgentRequestFuzz : IDisposable
{
    private static readonly string[] Segments =
        ["a", "b", "f", "in", "up", "abs", "esc", "loop", "dangling", "inabs", "sib", ".", "..", "", "x", "é", "\u0000", "share", "share2", "\n"];

    private static readonly string[] Roots = ["/", "/run/share", "/run/share/", "/run/sh", "/run/share/a", "//run/share"];

    private static readonly Gen<string> Ids = Gen.Frequency(
        (2, Gen.OneOf([.. JoinIds, ".", "..", "a.", "_", "a..b", "a\u0000", "a/", "\u0130", new string('a', 128)])),
        (2, Gen.Char["Aa0_.-/\n\u0000é"].Array[0, 130].Select(c => new string(c))),
        (1, Gen.String));

    private static readonly Gen<(string Id, string Relative, string Root, string Path)> PathInputs = Gen.Select(
        Ids,
        Gen.Frequency((4, Gen.OneOf(Segments).Array[0, 5].Select(s => string.Join('/', s))), (1, Gen.String)),
        Gen.OneOf(Roots),
        Gen.OneOf(Segments).Array[0, 4].Select(s => "/run/" + string.Join('/', s)));

    private readonly Lazy<string> _tree = new(MakeTree);

    [Fact]
    public Task Ids_and_share_paths_stay_under_their_root() => Fuzzer.RunAsync(
        new FuzzTarget<(string Id, string Relative, string Root, string Path)>(
            "agent ids and paths",
            PathInputs,
            input => CheckPaths(input.Id, input.Relative, input.Root, input.Path),
            ex => ex is AgentException,
            input => $"id {Mutations.Show(input.Id)}, share path {Mutations.Show(input.Relative)}, IsInside({input.Root}, {Mutations.Show(input.Path)})"),
        output);

    public void Dispose()
    {
        if (_tree.IsValueCreated)
        {
            Directory.Delete(Path.GetDirectoryName(_tree.Value)!, recursive: true);
        }
    }

    private void CheckPaths(string id, string relative, string root, string path)
    {
        if (!path.Contains('\0', StringComparison.Ordinal))
        {
            var canonicalRoot = Path.GetFullPath(root);
            var canonicalPath = Path.GetFullPath(path);
            var rel = Path.GetRelativePath(canonicalRoot, canonicalPath);
            var inside = rel == "." || !(rel == ".." || rel.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(rel));
            Fuzzer.Require(PathGuard.IsInside(canonicalRoot, canonicalPath) == inside, $"IsInside({canonicalRoot}, {canonicalPath}) is not {inside}");
        }

        Part(() =>
        {
            var resolved = PathGuard.ResolveUnder(_tree.Value, relative, "shared_path");
            Fuzzer.Require(
                resolved == _tree.Value || resolved.StartsWith(_tree.Value + "/", StringComparison.Ordinal),
                $"share path {Mutations.Show(relative)} resolves to {resolved}, outside the share {_tree.Value}");
            Fuzzer.Require(Path.Exists(resolved), $"share path {Mutations.Show(relative)} resolves to {resolved}, which does not exist");
        });

        PathGuard.CheckId(id, "container_id");
        Fuzzer.Require(
            id.Length is >= 1 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-') && id[0] is not ('.' or '-'),
            $"id {Mutations.Show(id)} passed as a plain name");
        Fuzzer.Require(Path.GetFullPath(Path.Combine("/state/containers", id)) == "/state/containers/" + id, $"id {Mutations.Show(id)} is not one segment");
    }

    // share/ with a/b/, a/f and symlinks inside it, out of it, to a sibling share2/, in a loop and
    // dangling; returns the canonical share path.
    private static string MakeTree()
    {
        var top = Directory.CreateTempSubdirectory("fuzz-agent-").FullName;
        var share = Path.Combine(top, "share");
        Directory.CreateDirectory(Path.Combine(share, "a", "b"));
        Directory.CreateDirectory(Path.Combine(top, "share2"));
        File.WriteAllText(Path.Combine(share, "a", "f"), "f");
        File.CreateSymbolicLink(Path.Combine(share, "in"), "a/b");
        File.CreateSymbolicLink(Path.Combine(share, "up"), "..");
        File.CreateSymbolicLink(Path.Combine(share, "abs"), "/");
        File.CreateSymbolicLink(Path.Combine(share, "a", "esc"), "../..");
        File.CreateSymbolicLink(Path.Combine(share, "loop"), "loop");
        File.CreateSymbolicLink(Path.Combine(share, "dangling"), "nope");
        File.CreateSymbolicLink(Path.Combine(share, "inabs"), Path.Combine(share, "a"));
        File.CreateSymbolicLink(Path.Combine(share, "sib"), "../share2");
        return SevAgent.Native.LibC.RealPath(share) ?? throw new InvalidOperationException($"realpath {share} failed");
    }
}
