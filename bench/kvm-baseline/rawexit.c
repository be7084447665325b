/*
 * rawexit: the raw-KVM baseline for ParaKit's hypercall round trip (bench/hypercall.sh).
 *
 * A minimal C VMM that builds a VM the way ParaKit's boot contract does (64-bit long mode at
 * ring 3, identity page tables with the user/accessed/dirty bits preset, a hypercall page at
 * 0x3000 whose 32-byte stubs make one MMIO doorbell write to unbacked 0xF0000000, registers
 * exchanged through KVM_CAP_SYNC_REGS) and runs a hand-assembled guest loop that calls one
 * stub N times. Each exit gets the least work a real dispatcher needs: check the MMIO exit,
 * read the number, write rax back. ParaKit's own cost over this is its overhead.
 *
 * It reports both sides: the host's wall-clock ns per round trip and the guest's TSC cycles
 * per call (rdtsc works at ring 3), so the guest number compares directly with nullcall's.
 *
 * Usage: rawexit [-n CALLS] [-m sync|getset|bare|ioeventfd] [-q]
 *   sync      (default) read and write registers through the shared kvm_run (the contract)
 *   getset    KVM_GET_REGS + KVM_SET_REGS on every exit (shows what each extra ioctl costs)
 *   bare      do not touch registers at all (the floor: a pure exit and re-entry)
 *   ioeventfd a KVM_IOEVENTFD on the doorbell (datamatch = the loop's hypercall number)
 *             absorbs every call in the kernel: no exit to user space, only an eventfd
 *             signal; the cost of a one-way notification on the fast path. rax is not
 *             written back, so this is a "send", not a call with a result.
 * The last line of output is machine-readable: "RESULT key=value ...", where setup_ns is the
 * time from main() to the first KVM_RUN (open /dev/kvm, create the VM, memory, vCPU).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "guestvm.h"

enum mode { MODE_SYNC, MODE_GETSET, MODE_BARE, MODE_IOEVENTFD };

/* The guest: rbx = N, r14 = null stub, r15 = exit stub (set by the VMM).
 * Times the loop with rdtsc and reports the cycles through sched_op(EXIT, cycles). */
static const uint8_t guest_code[] = {
    0x0F, 0x31,                   /* rdtsc */
    0x48, 0xC1, 0xE2, 0x20,       /* shl rdx, 32 */
    0x48, 0x09, 0xC2,             /* or rdx, rax */
    0x49, 0x89, 0xD4,             /* mov r12, rdx        ; start tsc */
    0x49, 0x89, 0xDD,             /* mov r13, rbx        ; counter */
    /* loop: */
    0x31, 0xFF,                   /* xor edi, edi */
    0x41, 0xFF, 0xD6,             /* call r14            ; xen_version(0) */
    0x49, 0xFF, 0xCD,             /* dec r13 */
    0x75, 0xF6,                   /* jnz loop */
    0x0F, 0x31,                   /* rdtsc */
    0x48, 0xC1, 0xE2, 0x20,       /* shl rdx, 32 */
    0x48, 0x09, 0xC2,             /* or rdx, rax */
    0x4C, 0x29, 0xE2,             /* sub rdx, r12 */
    0x48, 0x89, 0xD6,             /* mov rsi, rdx        ; cycles */
    0xBF, 0x00, 0x01, 0x00, 0x00, /* mov edi, 0x100      ; SCHEDOP_EXIT */
    0x41, 0xFF, 0xD7,             /* call r15            ; sched_op */
    0xEB, 0xFE,                   /* jmp $ */
};

static void report_unexpected(int vcpu, struct kvm_run *run)
{
    struct kvm_regs regs;
    fprintf(stderr, "rawexit: unexpected exit reason %u", run->exit_reason);
    if (run->exit_reason == KVM_EXIT_MMIO)
        fprintf(stderr, " (mmio %s gpa=0x%llx len=%u)", run->mmio.is_write ? "write" : "read",
                (unsigned long long)run->mmio.phys_addr, run->mmio.len);
    if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
        fprintf(stderr, " (internal error suberror %u)", run->internal.suberror);
    if (ioctl(vcpu, KVM_GET_REGS, &regs) == 0)
        fprintf(stderr, " rip=0x%llx rsp=0x%llx", (unsigned long long)regs.rip,
                (unsigned long long)regs.rsp);
    fprintf(stderr, "\n");
    exit(1);
}

int main(int argc, char **argv)
{
    uint64_t t_main = now_ns(); /* set-up time is measured from here, like parakit's milestones */
    uint64_t calls = 1000000;
    enum mode mode = MODE_SYNC;
    int quiet = 0, opt;
    while ((opt = getopt(argc, argv, "n:m:q")) != -1) {
        switch (opt) {
        case 'n':
            calls = strtoull(optarg, NULL, 0);
            break;
        case 'm':
            if (strcmp(optarg, "sync") == 0) mode = MODE_SYNC;
            else if (strcmp(optarg, "getset") == 0) mode = MODE_GETSET;
            else if (strcmp(optarg, "bare") == 0) mode = MODE_BARE;
            else if (strcmp(optarg, "ioeventfd") == 0) mode = MODE_IOEVENTFD;
            else fail("mode must be sync, getset, bare or ioeventfd");
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            fprintf(stderr, "usage: rawexit [-n CALLS] [-m sync|getset|bare|ioeventfd] [-q]\n");
            return 2;
        }
    }
    if (calls == 0)
        fail("-n must be at least 1");

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("open /dev/kvm");
    int sync_regs = mode == MODE_SYNC || mode == MODE_IOEVENTFD;
    if (sync_regs && ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0)
        fail("KVM_CAP_SYNC_REGS is not available (try -m getset)");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");

    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap guest memory");
    build_memory(mem, guest_code, sizeof guest_code);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .flags = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run))
        die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");
    setup_vcpu(kvm, vcpu, calls);

    if (sync_regs)
        run->kvm_valid_regs = KVM_SYNC_X86_REGS;

    int efd = -1;
    if (mode == MODE_IOEVENTFD) {
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
            die("eventfd");
        struct kvm_ioeventfd io = {
            .datamatch = HC_XEN_VERSION, .addr = DOORBELL, .len = 4, .fd = efd,
            .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
        };
        if (ioctl(vm, KVM_IOEVENTFD, &io) < 0)
            die("KVM_IOEVENTFD");
    }

    uint64_t exits = 0, guest_cycles = 0;
    uint64_t t0 = now_ns(), tsc0 = __rdtsc();
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("KVM_RUN");
        }
        if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write ||
            run->mmio.phys_addr != DOORBELL || run->mmio.len != 4)
            report_unexpected(vcpu, run);

        uint32_t nr;
        memcpy(&nr, run->mmio.data, 4);
        if (sync_regs) {
            struct kvm_regs *r = &run->s.regs.regs;
            if (nr == HC_SCHED_OP && r->rdi == SCHEDOP_EXIT) {
                guest_cycles = r->rsi;
                break;
            }
            r->rax = 0;
            run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
        } else if (mode == MODE_GETSET) {
            struct kvm_regs r;
            if (ioctl(vcpu, KVM_GET_REGS, &r) < 0)
                die("KVM_GET_REGS");
            if (nr == HC_SCHED_OP && r.rdi == SCHEDOP_EXIT) {
                guest_cycles = r.rsi;
                break;
            }
            r.rax = 0;
            if (ioctl(vcpu, KVM_SET_REGS, &r) < 0)
                die("KVM_SET_REGS");
        } else if (nr == HC_SCHED_OP) {
            /* bare mode: the exit call is the only one whose arguments we read */
            struct kvm_regs r;
            if (ioctl(vcpu, KVM_GET_REGS, &r) < 0)
                die("KVM_GET_REGS");
            guest_cycles = r.rsi;
            break;
        }
        exits++;
    }
    uint64_t tsc1 = __rdtsc(), t1 = now_ns();

    if (mode == MODE_IOEVENTFD) {
        uint64_t signalled = 0;
        if (read(efd, &signalled, sizeof signalled) < 0 && errno != EAGAIN)
            die("read eventfd");
        if (exits != 0 || signalled != calls) {
            fprintf(stderr, "rawexit: expected %llu eventfd signals and no exits, saw %llu and %llu\n",
                    (unsigned long long)calls, (unsigned long long)signalled,
                    (unsigned long long)exits);
            return 1;
        }
    } else if (exits != calls) {
        fprintf(stderr, "rawexit: expected %llu hypercall exits, saw %llu\n",
                (unsigned long long)calls, (unsigned long long)exits);
        return 1;
    }
    double ns = (double)(t1 - t0);
    double tsc_ghz = (double)(tsc1 - tsc0) / ns;
    double ns_per = ns / (double)calls;
    double cyc_per = (double)guest_cycles / (double)calls;
    static const char *names[] = { "sync", "getset", "bare", "ioeventfd" };
    if (!quiet)
        printf("rawexit: mode=%s calls=%llu total %.3f ms, %.0f ns per round trip (host), "
               "%.0f cycles per call (guest rdtsc), TSC %.3f GHz\n",
               names[mode], (unsigned long long)calls, ns / 1e6, ns_per, cyc_per, tsc_ghz);
    printf("RESULT mode=%s calls=%llu exits=%llu total_ns=%.0f ns_per_rt=%.1f guest_cycles=%llu "
           "cycles_per_call=%.1f tsc_ghz=%.4f setup_ns=%llu\n",
           names[mode], (unsigned long long)calls, (unsigned long long)exits, ns, ns_per,
           (unsigned long long)guest_cycles, cyc_per, tsc_ghz, (unsigned long long)(t0 - t_main));
    return 0;
}
