// Finds a domain's event-channel table by domain id, for interdomain binds and sends. One per
// Hypervisor object (the domains one `parakit` process hosts); tests build their own without KVM.
namespace ParaKit.Hypervisor.Events;

public sealed class EventChannelDirectory
{
    private readonly Dictionary<ushort, EventChannels> _tables = [];

    /// <summary>Makes <paramref name="table"/> reachable by its domain id.</summary>
    public void Add(EventChannels table)
    {
        lock (EventChannels.StateLock)
        {
            if (!_tables.TryAdd(table.DomId, table))
                throw new InvalidOperationException($"domain {table.DomId} already has an event-channel table");
            table.Directory = this;
        }
    }

    /// <summary>Called under the state lock by <see cref="EventChannels.Detach"/>.</summary>
    internal void Remove(EventChannels table)
    {
        if (_tables.TryGetValue(table.DomId, out var t) && t == table)
            _tables.Remove(table.DomId);
        table.Directory = null;
    }

    /// <summary>Called under the state lock.</summary>
    internal EventChannels? Find(ushort domId) => _tables.GetValueOrDefault(domId);
}
