// Guest only: the Platform interfaces over the kernel's static clients (Kernel/Grants, Events,
// Store) and over identity-mapped memory (device registers, DMA), and Nics.Open / Netfronts.Open,
// which bring a vif up from an app's Main. Host tests never compile
// this file: they hand netfront fakes that talk to domain 0's real backends instead.
using System;
using System.Threading;
using Internal.Runtime;
using ParaKit.Kernel;
using ParaKit.Protocols.Store;

namespace ParaKit.Drivers.Platform;

// Inside the namespace on purpose: from ParaKit.Drivers.Platform the simple name Netfront would
// otherwise find the namespace ParaKit.Drivers.Xen before the class.
using ParaKit.Drivers.Xen;
using ParaKit.Drivers.E1000;

/// <summary>Grant references from Kernel.Grants; pages carved from large raw blocks, so a vif's
/// 514 shared pages cost 514 pages and not twice that (Grants.AllocatePage pads each one).</summary>
public sealed unsafe class KernelGrantClient : IGrantClient
{
    private const int PageSize = 4096;
    private const int PagesPerBlock = 32;
    private byte* _next;
    private int _left;

    private nint[] _free = new nint[64];
    private int _freeCount;

    public byte* AllocatePage()
    {
        if (_freeCount > 0)
            return (byte*)_free[--_freeCount];
        if (_left == 0)
        {
            // AllocateRaw memory is zeroed and never moved or freed; one spare page buys the alignment.
            byte* raw = (byte*)Allocator.AllocateRaw((ulong)(PagesPerBlock + 1) * PageSize);
            _next = (byte*)(((ulong)raw + PageSize - 1) & ~(ulong)(PageSize - 1));
            _left = PagesPerBlock;
        }
        byte* page = _next;
        _next += PageSize;
        _left--;
        return page;
    }

    public int GrantAccess(ushort domId, void* page, bool readOnly) => Grants.GrantAccess(domId, page, readOnly);

    public bool EndAccess(int gref) => Grants.EndAccess(gref);

    public void FreePage(byte* page)
    {
        if (page == null)
            return;
        if (_freeCount == _free.Length)
        {
            var more = new nint[_free.Length * 2];
            Array.Copy(_free, more, _freeCount);
            _free = more;
        }
        _free[_freeCount++] = (nint)page;
    }
}

/// <summary>Event channels from Kernel.Events (handlers run from Events.Dispatch / WaitAndDispatch).</summary>
public sealed class KernelEventClient : IEventClient
{
    public long AllocUnbound(ushort remoteDom) => Events.AllocUnbound(remoteDom);

    public long Send(uint port) => Events.Send(port);

    public long Close(uint port) => Events.Close(port);

    public void Register(uint port, Action<uint> handler) => Events.Register(port, handler);
}

/// <summary>The XenStore from Kernel.Store (watch handlers run from the store port's handler).</summary>
public sealed class KernelStoreClient : IStoreClient
{
    public string? Read(string path, uint tx = 0) => Store.Read(path, tx);

    public XsError Write(string path, string value, uint tx = 0) => Store.Write(path, value, tx);

    public XsError Remove(string path, uint tx = 0) => Store.Remove(path, tx);

    public uint TransactionStart() => Store.TransactionStart();

    public XsError TransactionEnd(uint tx, bool commit) => Store.TransactionEnd(tx, commit);

    public XsError Watch(string path, string token, Action<string, string> handler) => Store.Watch(path, token, handler);

    public XsError Unwatch(string path, string token) => Store.Unwatch(path, token);
}

/// <summary>A device's registers at their guest-physical address (guest virtual = physical):
/// each access is one 32-bit load or store, which exits to domain 0's bus.</summary>
public sealed unsafe class KernelRegisterWindow : IRegisterWindow
{
    private readonly uint* _base;

    public KernelRegisterWindow(ulong address) => _base = (uint*)address;

    public uint Read(uint offset) => Volatile.Read(ref _base[offset >> 2]);

    public void Write(uint offset, uint value) => Volatile.Write(ref _base[offset >> 2], value);
}

/// <summary>DMA memory from the kernel's raw allocator: identity-mapped, so the bus address is the pointer.</summary>
public sealed unsafe class KernelDmaMemory : IDmaMemory
{
    public byte* Allocate(int bytes, int alignment, out ulong busAddress)
    {
        byte* raw = (byte*)Allocator.AllocateRaw((ulong)(bytes + alignment));
        byte* p = (byte*)(((ulong)raw + (ulong)alignment - 1) & ~(ulong)(alignment - 1));
        busAddress = (ulong)p;
        return p;
    }
}

/// <summary>One set of kernel adapters per guest (one page pool for every driver).</summary>
public static class KernelPlatform
{
    public static readonly KernelGrantClient GrantClient = new();
    public static readonly KernelEventClient EventClient = new();
    public static readonly KernelStoreClient StoreClient = new();
    public static readonly KernelDmaMemory Dma = new();
}

/// <summary>What an app calls to get vif N, whichever NIC the domain's config gave it: an emulated
/// e1000 when start_info's E1000Mask has bit N (model=e1000), else a netfront.</summary>
public static unsafe class Nics
{
    /// <summary>True when vif <paramref name="devid"/> is an emulated e1000.</summary>
    public static bool IsE1000(uint devid) => devid < 32 && (ParaKit.Kernel.Kernel.StartInfo->E1000Mask & 1u << (int)devid) != 0;

    /// <summary>Brings vif <paramref name="devid"/> up (see <see cref="Netfronts.Open"/>); null with the reason in <paramref name="error"/>.</summary>
    public static IEthernetDevice? Open(uint devid, ulong deadlineNs, out string error)
    {
        if (!IsE1000(devid))
            return Netfronts.Open(devid, deadlineNs, out error);
        var nic = new E1000Driver(new KernelRegisterWindow(ParaKit.Protocols.Boot.GuestLayout.E1000Bar((int)devid)), KernelPlatform.Dma);
        // The handler goes in before Open unmasks anything, so no MSI finds an empty gate.
        uint vector = ParaKit.Kernel.Kernel.StartInfo->E1000Vector;
        if (vector != 0 && s_count < s_nics.Length)
        {
            if (s_count == 0)
            {
                long rc = Traps.RegisterInterrupt((int)vector, &OnInterrupt);
                if (rc != 0)
                {
                    error = "vif " + devid.ToString() + " (e1000): interrupt vector " + vector.ToString() + " refused (" + rc.ToString() + ")";
                    return null;
                }
            }
            s_nics[s_count++] = nic;
            nic.UseInterrupts();
        }
        if (!nic.Open())
        {
            error = "vif " + devid.ToString() + " (e1000): " + nic.Failure;
            return null;
        }
        error = "";
        return nic;
    }

    // Every e1000 signals the same vector: the handler asks each card (its ICR says if it was it).
    private static readonly E1000Driver?[] s_nics = new E1000Driver?[8];
    private static int s_count;

    private static void OnInterrupt(Internal.Runtime.TrapFrame* frame)
    {
        for (int i = 0; i < s_count; i++)
            s_nics[i]!.OnInterrupt();
        // The handler masked the card; the poll that unmasks it runs from the app's loop, which
        // must not go to sleep now.
        Scheduler.InterruptWork();
    }

    /// <summary>The address an app uses on an opened NIC: the command line's ip= and gateway= where
    /// given (<paramref name="haveIp"/>, <paramref name="haveGateway"/>), the toolstack's vif keys
    /// otherwise (a configured gateway off the chosen prefix is ignored). <paramref name="fromVif"/>
    /// says whether the address came from the vif. False with a sentence when there is no usable
    /// address: a bad vif key, none configured, or an emulated e1000 (no backend directory).</summary>
    public static bool ChooseAddress(IEthernetDevice nic, bool haveIp, ref uint ip, ref int prefix, bool haveGateway, ref uint gateway,
        out bool fromVif, out string error)
    {
        fromVif = false;
        error = "";
        if (haveIp && haveGateway)
            return true;
        VifAddress configured = default;
        if (nic is Netfront vif)
        {
            if (!Netfronts.ReadAddress(vif, out configured, out error))
                return false;
        }
        else if (!haveIp)
        {
            error = "vif 0 is an emulated e1000: give ip=A.B.C.D/PREFIX (its config is not in the XenStore)";
            return false;
        }
        if (!haveIp)
        {
            if (!configured.HasAddress)
            {
                error = "no address: give ip=A.B.C.D/PREFIX, or configure the vif with vif = [ 'ip=A.B.C.D/N' ]";
                return false;
            }
            ip = configured.Address;
            prefix = configured.PrefixLength;
            fromVif = true;
        }
        if (!haveGateway && configured.Gateway != 0 && VifAddress.SameSubnet(configured.Gateway, ip, prefix))
            gateway = configured.Gateway;
        return true;
    }
}

/// <summary>What an app calls to get a working vif.</summary>
public static class Netfronts
{
    /// <summary>Starts vif <paramref name="devid"/>'s handshake ("device/vif/N") and runs the event
    /// loop until the device is up or the absolute deadline (Clock.NowNs) passes. On failure returns
    /// null and says which state each side reached, or why the connection failed.</summary>
    public static Netfront? Open(uint devid, ulong deadlineNs, out string error)
    {
        string name = "vif " + devid.ToString();
        if (!Store.IsAvailable)
        {
            error = name + ": this domain has no XenStore";
            return null;
        }
        long rc = Grants.Initialize();
        if (rc != 0)
        {
            error = name + ": the grant table could not be set up (" + rc.ToString() + ")";
            return null;
        }
        var nic = new Netfront(KernelPlatform.GrantClient, KernelPlatform.EventClient, KernelPlatform.StoreClient, "device/vif/" + devid.ToString());
        if (!nic.Start())
        {
            error = name + ": " + nic.Failure;
            return null;
        }
        while (!nic.IsUp)
        {
            if (nic.Failure != null || Clock.NowNs() >= deadlineNs)
            {
                error = name + ": " + (nic.Failure ?? "not up by the deadline") + " (frontend " + Netfront.StateName(nic.FrontendState)
                    + ", backend " + Netfront.StateName(nic.BackendState) + ")";
                nic.Close();
                return null;
            }
            // The one-shot timer makes SCHEDOP_block return by the deadline even if nothing
            // happens; a timer the caller armed earlier stays armed.
            Events.WaitUntil(deadlineNs);
        }
        error = "";
        return nic;
    }

    /// <summary>The IPv4 address, prefix and gateway the toolstack configured for an opened vif
    /// (its backend directory's `ip` and `gateway`, as vif=[ 'ip=...,gateway=...' ] set them).
    /// True with no address when none was configured; false with the reason when one is unusable.</summary>
    public static bool ReadAddress(Netfront nic, out VifAddress address, out string error) =>
        VifAddress.TryRead(KernelPlatform.StoreClient, nic.BackendPath, out address, out error);
}
