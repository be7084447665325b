// Finds a domain's grant table by domain id (the granter named in a copy). One per Hypervisor
// object; tests build their own without KVM.
namespace ParaKit.Hypervisor.Grants;

public sealed class GrantTableDirectory
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, GrantTable> _tables = [];

    public void Add(GrantTable table)
    {
        lock (_lock)
        {
            if (!_tables.TryAdd(table.DomId, table))
                throw new InvalidOperationException($"domain {table.DomId} already has a grant table");
            table.Directory = this;
        }
    }

    internal void Remove(GrantTable table)
    {
        lock (_lock)
        {
            if (_tables.TryGetValue(table.DomId, out var t) && t == table)
                _tables.Remove(table.DomId);
            table.Directory = null;
        }
    }

    public GrantTable? Find(ushort domId)
    {
        lock (_lock)
            return _tables.GetValueOrDefault(domId);
    }
}
