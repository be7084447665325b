// Xen's XenStore permission model (docs/misc/xenstore.txt "Permissions"): a node's permission
// list starts with its owner and the access every other domain gets by default, then lists
// per-domain exceptions. The owner and domain 0 may do anything. On the wire each entry is a
// letter (r read, w write, b both, n none) followed by the domain id, e.g. "n1\0r2\0".
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace ParaKit.Hypervisor.Store;

[Flags]
public enum XsAccess : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    Both = Read | Write,
}

/// <summary>One "&lt;letter&gt;&lt;domid&gt;" entry.</summary>
public readonly record struct XsPermEntry(uint DomId, XsAccess Access)
{
    public override string ToString() => Letter(Access) + DomId.ToString(CultureInfo.InvariantCulture);

    internal static string Letter(XsAccess a) => a switch
    {
        XsAccess.Read => "r",
        XsAccess.Write => "w",
        XsAccess.Both => "b",
        _ => "n",
    };

    /// <summary>Parses "r5", "w0", "b12", "n3"; false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out XsPermEntry entry)
    {
        entry = default;
        if (text.Length < 2)
            return false;
        XsAccess? a = text[0] switch
        {
            (byte)'r' => XsAccess.Read,
            (byte)'w' => XsAccess.Write,
            (byte)'b' => XsAccess.Both,
            (byte)'n' => XsAccess.None,
            _ => null,
        };
        if (a is null || !ParaKit.Protocols.Store.XsCodec.TryParseUInt(text[1..], out uint dom) || text[1..].IndexOf((byte)0) >= 0)
            return false;
        entry = new XsPermEntry(dom, a.Value);
        return true;
    }
}

/// <summary>A node's permission list. Entry 0: owner and default access for other domains.</summary>
public sealed class NodePerms : IEquatable<NodePerms>
{
    /// <summary>At most this many entries in one list (keeps one GET_PERMS reply small).</summary>
    public const int MaxEntries = 256;

    public ImmutableArray<XsPermEntry> Entries { get; }

    public NodePerms(ImmutableArray<XsPermEntry> entries)
    {
        if (entries.IsDefaultOrEmpty)
            throw new ArgumentException("a permission list has at least the owner entry", nameof(entries));
        Entries = entries;
    }

    /// <summary>Owned by <paramref name="owner"/>; other domains get <paramref name="others"/>.</summary>
    public static NodePerms Owned(uint owner, XsAccess others = XsAccess.None) => new([new XsPermEntry(owner, others)]);

    public uint Owner => Entries[0].DomId;

    /// <summary>What <paramref name="domid"/> may do: domain 0 and the owner everything, else its
    /// own entry if listed, else the default.</summary>
    public XsAccess AccessOf(uint domid)
    {
        if (domid == 0 || domid == Owner)
            return XsAccess.Both;
        for (int i = 1; i < Entries.Length; i++)
        {
            if (Entries[i].DomId == domid)
                return Entries[i].Access;
        }
        return Entries[0].Access;
    }

    public bool Allows(uint domid, XsAccess wanted) => (AccessOf(domid) & wanted) == wanted;

    /// <summary>The same list with a new owner (a node created by an unprivileged domain belongs to it).</summary>
    public NodePerms WithOwner(uint owner) =>
        owner == Owner ? this : new NodePerms(Entries.SetItem(0, Entries[0] with { DomId = owner }));

    /// <summary>"r0\0w3\0": the GET_PERMS reply and SET_PERMS argument format.</summary>
    public byte[] ToWire()
    {
        var sb = new StringBuilder();
        foreach (var e in Entries)
            sb.Append(e.ToString()).Append('\0');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>Parses nul-separated entries (a trailing nul is optional); false if any is malformed.</summary>
    public static bool TryParseWire(ReadOnlySpan<byte> text, out NodePerms? perms)
    {
        perms = null;
        var list = ImmutableArray.CreateBuilder<XsPermEntry>();
        while (text.Length > 0)
        {
            int nul = text.IndexOf((byte)0);
            ReadOnlySpan<byte> item = nul < 0 ? text : text[..nul];
            if (!XsPermEntry.TryParse(item, out var e) || list.Count >= MaxEntries)
                return false;
            list.Add(e);
            text = nul < 0 ? default : text[(nul + 1)..];
        }
        if (list.Count == 0)
            return false;
        perms = new NodePerms(list.ToImmutable());
        return true;
    }

    public override string ToString() => string.Join(' ', Entries);
    public bool Equals(NodePerms? other) => other is not null && Entries.SequenceEqual(other.Entries);
    public override bool Equals(object? obj) => Equals(obj as NodePerms);
    public override int GetHashCode() => Entries.Length == 0 ? 0 : Entries[0].GetHashCode() ^ Entries.Length;
}
