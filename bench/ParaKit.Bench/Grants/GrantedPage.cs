// The set-up the grant-copy benchmarks share, built as the tests build a domain without KVM:
// a 4 MiB domain's memfd RAM with the standard layout, its grant table, and one heap page
// granted read-write to domain 0 (as a netfront rx buffer is).
using System.Runtime.CompilerServices;
using ParaKit.Hypervisor.Domains;
using ParaKit.Hypervisor.Grants;
using ParaKit.Hypervisor.Memory;
using ParaKit.Protocols.Grants;

namespace ParaKit.Bench.Grants;

internal static unsafe class GrantedPage
{
    public const uint Gref = 5;
    /// <summary>A heap page of a 4 MiB domain (0x300000), which the guest itself may write.</summary>
    public const ulong DataFrame = 0x300;

    public static (GuestMemory Memory, GrantTable Grants) Create(string name)
    {
        var layout = MemoryLayout.Plan(4 << 20, 0x100000, 0x110000);
        var memory = GuestMemory.Allocate(layout.MemoryBytes, name);
        memory.SetWritableRanges(layout.WritableRanges());
        var grants = new GrantTable(1, memory);
        var entry = (GrantEntryV1*)Unsafe.AsPointer(ref memory.RefAt<GrantEntryV1>(GrantTable.FrameAddress + Gref * 8));
        GrantEntries.Publish(entry, GrantCopier.Domain0, (uint)DataFrame, readOnly: false);
        return (memory, grants);
    }
}
