// Errors from the KVM layer. KvmUnavailableException means the environment cannot host
// domains at all (no device, no permission, missing capability): the CLI exits with status 1.
namespace ParaKit.Hypervisor.Kvm;

/// <summary>A KVM ioctl failed.</summary>
public class KvmException(string message) : Exception(message);

/// <summary>/dev/kvm (or PARAKIT_KVM_DEVICE) is missing, not accessible, or lacks a capability ParaKit needs.</summary>
public sealed class KvmUnavailableException(string message) : KvmException(message);
