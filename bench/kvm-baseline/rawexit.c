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
 * Usage: rawexit [-n CALLS] [-m sync|getset|bare] [-q]
 *   sync   (default) read and write registers through the shared kvm_run (the contract)
 *   getset KVM_GET_REGS + KVM_SET_REGS on every exit (shows what each extra ioctl costs)
 *   bare   do not touch registers at all (the floor: a pure exit and re-entry)
 * The last line of output is machine-readable: "RESULT key=value ...".
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
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

/* The ParaKit guest memory map (protocols/Boot/GuestLayout.cs). */
#define MEM_SIZE        (2u << 20)
#define HYPERCALL_PAGE  0x3000u
#define STUB_SIZE       32u
#define GDT_ADDR        0x8000u
#define TSS_ADDR        0x8800u
#define PML4_ADDR       0x9000u
#define PDPT_ADDR       0xA000u
#define PD_ADDR         0xB000u
#define PT_ADDR         0xC000u
#define DB_PD_ADDR      0xD000u   /* maps the doorbell page: it must be mapped to be written */
#define DB_PT_ADDR      0xE000u
#define PRIVATE_END     0x100000u
#define IMAGE_BASE      0x100000u
#define STACK_TOP       0x1F0000u
#define DOORBELL        0xF0000000u

/* Hypercall numbers (xen.h) and ParaKit's exit sched_op (protocols/Hypercalls/Hypercall.cs). */
#define HC_XEN_VERSION  17u   /* the null call: the loop's hypercall */
#define HC_SCHED_OP     29u
#define SCHEDOP_EXIT    0x100u

/* Page-table bits: present, writable, user, accessed, dirty. Accessed/dirty are preset so the
 * CPU never writes page tables behind our back (as the contract requires). */
#define PTE_P   0x001u
#define PTE_W   0x002u
#define PTE_U   0x004u
#define PTE_A   0x020u
#define PTE_D   0x040u

enum mode { MODE_SYNC, MODE_GETSET, MODE_BARE };

static void die(const char *what)
{
    fprintf(stderr, "rawexit: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *what)
{
    fprintf(stderr, "rawexit: %s\n", what);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One stub, byte for byte what the contract describes:
 *   mov r10, rcx; mov eax, n; mov r11d, 0xF0000000; mov [r11], eax; ret */
static void write_stub(uint8_t *mem, uint32_t n)
{
    uint8_t *p = mem + HYPERCALL_PAGE + n * STUB_SIZE;
    const uint8_t stub[] = {
        0x49, 0x89, 0xCA,                         /* mov r10, rcx */
        0xB8, 0, 0, 0, 0,                         /* mov eax, n */
        0x41, 0xBB, 0x00, 0x00, 0x00, 0xF0,       /* mov r11d, 0xF0000000 */
        0x41, 0x89, 0x03,                         /* mov dword [r11], eax */
        0xC3,                                     /* ret */
    };
    memcpy(p, stub, sizeof stub);
    memcpy(p + 4, &n, 4);
}

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

static void build_memory(uint8_t *mem)
{
    uint64_t *pml4 = (uint64_t *)(mem + PML4_ADDR);
    uint64_t *pdpt = (uint64_t *)(mem + PDPT_ADDR);
    uint64_t *pd = (uint64_t *)(mem + PD_ADDR);
    uint64_t *pt = (uint64_t *)(mem + PT_ADDR);
    const uint64_t table = PTE_P | PTE_W | PTE_U | PTE_A;

    pml4[0] = PDPT_ADDR | table;
    pdpt[0] = PD_ADDR | table;
    pd[0] = PT_ADDR | table;
    /* The doorbell is mapped like RAM but backed by no memory slot, so the store exits. */
    uint64_t *db_pd = (uint64_t *)(mem + DB_PD_ADDR);
    uint64_t *db_pt = (uint64_t *)(mem + DB_PT_ADDR);
    pdpt[(DOORBELL >> 30) & 511] = DB_PD_ADDR | table;
    db_pd[(DOORBELL >> 21) & 511] = DB_PT_ADDR | table;
    db_pt[(DOORBELL >> 12) & 511] = DOORBELL | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
    /* Page 0 stays unmapped (null pointers fault); the hypercall page and the private pages
     * are read-only to the guest, as in ParaKit. */
    for (uint64_t a = 0x1000; a < MEM_SIZE; a += 0x1000) {
        uint64_t flags = PTE_P | PTE_U | PTE_A | PTE_D;
        int readonly = a == HYPERCALL_PAGE || (a >= GDT_ADDR && a < PRIVATE_END);
        if (!readonly)
            flags |= PTE_W;
        pt[a >> 12] = a | flags;
    }

    uint64_t *gdt = (uint64_t *)(mem + GDT_ADDR);
    gdt[0] = 0;
    gdt[1] = 0x00AF9A000000FFFFull; /* 0x08 kernel code 64 */
    gdt[2] = 0x00CF92000000FFFFull; /* 0x10 kernel data */
    gdt[3] = 0x00CFF2000000FFFFull; /* 0x18 user data, DPL 3 */
    gdt[4] = 0x00AFFA000000FFFFull; /* 0x20 user code 64, DPL 3 */
    /* 0x28: 64-bit TSS, 16 bytes (busy type 0xB) */
    uint64_t base = TSS_ADDR, limit = 0x67;
    gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x8Bull << 40) |
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[6] = base >> 32;

    memset(mem + HYPERCALL_PAGE, 0xCC, 4096); /* int3 between stubs */
    for (uint32_t n = 0; n < 4096 / STUB_SIZE; n++)
        write_stub(mem, n);

    memcpy(mem + IMAGE_BASE, guest_code, sizeof guest_code);
}

static void set_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
    memset(s, 0, sizeof *s);
    s->base = 0;
    s->limit = 0xFFFFFFFF;
    s->selector = sel;
    s->type = type;
    s->present = 1;
    s->dpl = 3;
    s->s = 1;
    s->g = 1;
    s->l = code ? 1 : 0;
    s->db = code ? 0 : 1;
}

static void setup_vcpu(int kvm, int vcpu, uint64_t calls)
{
    /* Give the guest the host's supported CPUID, as a real VMM does. */
    int nent = 256;
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + nent * sizeof(struct kvm_cpuid_entry2));
    if (cpuid == NULL)
        fail("out of memory");
    cpuid->nent = nent;
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
        die("KVM_GET_SUPPORTED_CPUID");
    if (ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0)
        die("KVM_SET_CPUID2");
    free(cpuid);

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS");
    set_segment(&sregs.cs, 0x23, 0xB, 1);
    set_segment(&sregs.ds, 0x1B, 0x3, 0);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    memset(&sregs.tr, 0, sizeof sregs.tr);
    sregs.tr.base = TSS_ADDR;
    sregs.tr.limit = 0x67;
    sregs.tr.selector = 0x28;
    sregs.tr.type = 0xB;
    sregs.tr.present = 1;
    memset(&sregs.ldt, 0, sizeof sregs.ldt);
    sregs.ldt.type = 0x2;
    sregs.ldt.present = 1;
    sregs.ldt.unusable = 1;
    sregs.gdt.base = GDT_ADDR;
    sregs.gdt.limit = 7 * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0; /* no IDT: any fault is a triple fault (KVM_EXIT_SHUTDOWN) */
    sregs.cr0 = 0x80000033;  /* PG | NE | ET | MP | PE */
    sregs.cr3 = PML4_ADDR;
    sregs.cr4 = 0x620;       /* OSXMMEXCPT | OSFXSR | PAE */
    sregs.efer = 0x500;      /* LMA | LME */
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS");

    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = IMAGE_BASE;
    regs.rsp = STACK_TOP;
    regs.rflags = 0x2;
    regs.rbx = calls;
    regs.r14 = HYPERCALL_PAGE + HC_XEN_VERSION * STUB_SIZE;
    regs.r15 = HYPERCALL_PAGE + HC_SCHED_OP * STUB_SIZE;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");
}

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
            else fail("mode must be sync, getset or bare");
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            fprintf(stderr, "usage: rawexit [-n CALLS] [-m sync|getset|bare] [-q]\n");
            return 2;
        }
    }
    if (calls == 0)
        fail("-n must be at least 1");

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("open /dev/kvm");
    if (mode == MODE_SYNC && ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0)
        fail("KVM_CAP_SYNC_REGS is not available (try -m getset)");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");

    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap guest memory");
    build_memory(mem);
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

    if (mode == MODE_SYNC)
        run->kvm_valid_regs = KVM_SYNC_X86_REGS;

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
        if (mode == MODE_SYNC) {
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

    if (exits != calls) {
        fprintf(stderr, "rawexit: expected %llu hypercall exits, saw %llu\n",
                (unsigned long long)calls, (unsigned long long)exits);
        return 1;
    }
    double ns = (double)(t1 - t0);
    double tsc_ghz = (double)(tsc1 - tsc0) / ns;
    double ns_per = ns / (double)exits;
    double cyc_per = (double)guest_cycles / (double)calls;
    static const char *names[] = { "sync", "getset", "bare" };
    if (!quiet)
        printf("rawexit: mode=%s calls=%llu total %.3f ms, %.0f ns per round trip (host), "
               "%.0f cycles per call (guest rdtsc), TSC %.3f GHz\n",
               names[mode], (unsigned long long)calls, ns / 1e6, ns_per, cyc_per, tsc_ghz);
    printf("RESULT mode=%s calls=%llu exits=%llu total_ns=%.0f ns_per_rt=%.1f guest_cycles=%llu "
           "cycles_per_call=%.1f tsc_ghz=%.4f\n",
           names[mode], (unsigned long long)calls, (unsigned long long)exits, ns, ns_per,
           (unsigned long long)guest_cycles, cyc_per, tsc_ghz);
    return 0;
}
