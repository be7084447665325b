// The XenStore tree as a persistent (immutable, path-copying) structure. A snapshot is just a
// root reference, so a transaction starts in O(1) and works on its own copy; every node carries
// the generation at which its value, permissions or set of children last changed, which is what
// optimistic transactions compare at commit. Paths here are absolute and already validated.
using System.Collections.Immutable;

namespace ParaKit.Hypervisor.Store;

/// <summary>One node: value bytes, permissions, children by name, and its generation.</summary>
public sealed class StoreNode(byte[] value, NodePerms perms, ImmutableSortedDictionary<string, StoreNode> children, long gen)
{
    public static readonly ImmutableSortedDictionary<string, StoreNode> NoChildren =
        ImmutableSortedDictionary.Create<string, StoreNode>(StringComparer.Ordinal);

    public byte[] Value { get; } = value;
    public NodePerms Perms { get; } = perms;
    public ImmutableSortedDictionary<string, StoreNode> Children { get; } = children;
    /// <summary>Store generation of the last change to this node's value, perms or child set.</summary>
    public long Gen { get; } = gen;

    public StoreNode With(byte[]? value = null, NodePerms? perms = null, ImmutableSortedDictionary<string, StoreNode>? children = null, long? gen = null) =>
        new(value ?? Value, perms ?? Perms, children ?? Children, gen ?? Gen);

    /// <summary>Every node of this subtree (itself included).</summary>
    public IEnumerable<StoreNode> Subtree()
    {
        var stack = new Stack<StoreNode>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            yield return n;
            foreach (var c in n.Children.Values)
                stack.Push(c);
        }
    }
}

/// <summary>Pure operations on a root. Each returns the new root; the old one is untouched.</summary>
public static class StoreTree
{
    /// <summary>"/a/b" → ["a", "b"]; "/" → [].</summary>
    public static string[] Split(string path) =>
        path == "/" ? [] : path[1..].Split('/');

    public static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    public static string Join(string parent, string child) => parent == "/" ? "/" + child : parent + "/" + child;

    /// <summary>True if <paramref name="path"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public static bool IsAtOrBelow(string path, string ancestor) =>
        ancestor == "/" || path == ancestor || (path.Length > ancestor.Length && path.StartsWith(ancestor, StringComparison.Ordinal) && path[ancestor.Length] == '/');

    public static StoreNode? Get(StoreNode root, string path)
    {
        StoreNode? n = root;
        foreach (string s in Split(path))
        {
            if (n is null || !n.Children.TryGetValue(s, out n))
                return null;
        }
        return n;
    }

    /// <summary>The deepest existing node on the way to <paramref name="path"/> (the node itself if it exists).</summary>
    public static (StoreNode Node, string Path) DeepestExisting(StoreNode root, string path)
    {
        StoreNode n = root;
        string at = "/";
        foreach (string s in Split(path))
        {
            if (!n.Children.TryGetValue(s, out var next))
                break;
            n = next;
            at = Join(at, s);
        }
        return (n, at);
    }

    /// <summary>Replaces (or with null removes) the node at <paramref name="path"/>, whose parent must
    /// exist. The parent's generation moves to <paramref name="gen"/> when its child set changes.</summary>
    public static StoreNode Set(StoreNode root, string path, StoreNode? replacement, long gen)
    {
        string[] segs = Split(path);
        if (segs.Length == 0)
            return replacement ?? throw new InvalidOperationException("the root cannot be removed");
        return SetBelow(root, segs, 0, replacement, gen);
    }

    private static StoreNode SetBelow(StoreNode n, string[] segs, int i, StoreNode? replacement, long gen)
    {
        string name = segs[i];
        if (i == segs.Length - 1)
        {
            bool existed = n.Children.ContainsKey(name);
            var children = replacement is null ? n.Children.Remove(name) : n.Children.SetItem(name, replacement);
            return n.With(children: children, gen: existed == (replacement is not null) ? n.Gen : gen);
        }
        var child = n.Children[name];
        return n.With(children: n.Children.SetItem(name, SetBelow(child, segs, i + 1, replacement, gen)));
    }
}
