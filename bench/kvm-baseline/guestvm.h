/*
 * guestvm.h: the VM both C baselines (rawexit.c, rawdensity.c) build, laid out like a ParaKit
 * domain (protocols/Boot/GuestLayout.cs): 64-bit long mode at ring 3, identity page tables with
 * user/accessed/dirty preset, page 0 unmapped, a hypercall page at 0x3000 of 32-byte stubs that
 * each make one MMIO doorbell write to unbacked 0xF0000000. Header-only so each baseline stays
 * one gcc command.
 */
#ifndef PARAKIT_BENCH_GUESTVM_H
#define PARAKIT_BENCH_GUESTVM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

/* The ParaKit guest memory map (protocols/Boot/GuestLayout.cs); the baselines give 2 MiB RAM. */
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
#define SCHEDOP_BLOCK   1u
#define SCHEDOP_EXIT    0x100u

/* Page-table bits: present, writable, user, accessed, dirty. Accessed/dirty are preset so the
 * CPU never writes page tables behind our back (as the contract requires). */
#define PTE_P   0x001u
#define PTE_W   0x002u
#define PTE_U   0x004u
#define PTE_A   0x020u
#define PTE_D   0x040u

static void die(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
    exit(1);
}

static void fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", program_invocation_short_name, what);
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

static void build_memory(uint8_t *mem, const uint8_t *code, size_t code_len)
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

    memcpy(mem + IMAGE_BASE, code, code_len);
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

static void setup_vcpu(int kvm, int vcpu, uint64_t rbx)
{
    /* Give the guest the host's supported CPUID, as a real VMM does. */
    int nent = 256;
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + (size_t)nent * sizeof(struct kvm_cpuid_entry2));
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
    regs.rbx = rbx;
    regs.r14 = HYPERCALL_PAGE + HC_XEN_VERSION * STUB_SIZE;
    regs.r15 = HYPERCALL_PAGE + HC_SCHED_OP * STUB_SIZE;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");
}

#endif
