// An optimistic transaction (TRANSACTION_START/END). It runs on a private copy of the store
// taken at start, remembers the base generation of every path it read or wrote, and logs its
// operations. Commit succeeds only if none of those paths changed in the live store since the
// start; then the log is replayed on the live store, so the result is the same as running the
// transaction alone at its commit point (serializable). Otherwise the client gets EAGAIN and
// retries, as with xenstored.
using ParaKit.Protocols.Store;

namespace ParaKit.Hypervisor.Store;

internal sealed class StoreTransaction : StoreState.IAccessLog
{
    private readonly StoreNode _base;
    private readonly Dictionary<string, long> _accessed = new(StringComparer.Ordinal);

    public uint Id { get; }
    public StoreConnection Owner { get; }
    /// <summary>The transaction's own view: the base plus its writes.</summary>
    public StoreState State { get; }
    /// <summary>Operations to replay on the live store at commit.</summary>
    public List<Func<StoreState, long, List<StoreChange>, XsError>> Log { get; } = [];

    public StoreTransaction(uint id, StoreConnection owner, StoreState live)
    {
        Id = id;
        Owner = owner;
        _base = live.Root;
        State = live.Clone();
    }

    /// <summary>-1 stands for "did not exist".</summary>
    public void Touch(string path) => _accessed.TryAdd(path, StoreTree.Get(_base, path)?.Gen ?? -1);

    public IReadOnlyCollection<string> AccessedPaths => _accessed.Keys;

    /// <summary>True if some path this transaction depended on changed in <paramref name="live"/>.</summary>
    public bool Conflicts(StoreState live)
    {
        if (ReferenceEquals(live.Root, _base))
            return false;
        foreach (var (path, gen) in _accessed)
        {
            if ((StoreTree.Get(live.Root, path)?.Gen ?? -1) != gen)
                return true;
        }
        return false;
    }
}
