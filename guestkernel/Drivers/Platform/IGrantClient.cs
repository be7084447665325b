// What a frontend driver needs from the kernel, as interfaces (MirageOS style): the guest
// passes adapters over its static Kernel classes (KernelPlatform.cs); host tests pass fakes
// that talk to domain 0's real backends in one process. Nothing here touches hardware.
using System;

namespace ParaKit.Drivers.Platform;

/// <summary>The grant-table client (Kernel/Grants): share our pages with another domain.</summary>
public unsafe interface IGrantClient
{
    /// <summary>A zeroed, page-aligned page that is never freed or moved.</summary>
    byte* AllocatePage();

    /// <summary>Lets <paramref name="domId"/> access <paramref name="page"/>; the reference, or -1 when the table is full.</summary>
    int GrantAccess(ushort domId, void* page, bool readOnly);

    /// <summary>Ends access; false while the peer still uses the page (try again later).</summary>
    bool EndAccess(int gref);

    /// <summary>Gives back a page from <see cref="AllocatePage"/> that no grant refers to any more,
    /// so the next AllocatePage may hand it out again (a device that closes and reopens does
    /// not grow the guest's memory each time).</summary>
    void FreePage(byte* page);
}

/// <summary>The event-channel client (Kernel/Events).</summary>
public interface IEventClient
{
    /// <summary>EVTCHNOP_alloc_unbound for <paramref name="remoteDom"/>: the port, or a negative errno.</summary>
    long AllocUnbound(ushort remoteDom);

    /// <summary>EVTCHNOP_send.</summary>
    long Send(uint port);

    /// <summary>EVTCHNOP_close (also forgets the handler).</summary>
    long Close(uint port);

    /// <summary>Runs <paramref name="handler"/> from the event loop when the port is pending.</summary>
    void Register(uint port, Action<uint> handler);
}

/// <summary>The XenStore client (Kernel/Store); paths relative to the domain's home or absolute.</summary>
public interface IStoreClient
{
    string? Read(string path, uint tx = 0);
    ParaKit.Protocols.Store.XsError Write(string path, string value, uint tx = 0);
    ParaKit.Protocols.Store.XsError Remove(string path, uint tx = 0);
    /// <summary>A transaction id, or 0 on failure.</summary>
    uint TransactionStart();
    /// <summary>EAGAIN means: start again.</summary>
    ParaKit.Protocols.Store.XsError TransactionEnd(uint tx, bool commit);
    ParaKit.Protocols.Store.XsError Watch(string path, string token, Action<string, string> handler);
    ParaKit.Protocols.Store.XsError Unwatch(string path, string token);
}
