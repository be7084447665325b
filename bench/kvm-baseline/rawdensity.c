/*
 * rawdensity: the raw-KVM baseline for bench/density.sh: N minimal domains that block.
 *
 * Creates N VMs laid out like ParaKit domains (guestvm.h), each with memfd-backed RAM (as
 * ParaKit's domain builder uses) and one vCPU thread. Each guest calls sched_op(SCHEDOP_block)
 * in a loop; its vCPU thread answers the exit by sleeping on an eventfd, which is what a
 * blocked domain costs at the least. Prints when every VM is created and when every guest has
 * blocked, then waits for SIGINT (or SIGTERM) and exits; process exit tears the VMs down.
 * bench/density.sh measures it exactly as it measures `parakit create`.
 *
 * Usage: rawdensity [-n N] [-s STACK_KIB]
 * Output: "CREATED n=N ns=T", "BLOCKED n=N ns=T", and "STOPPED" after SIGINT.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guestvm.h"

/* The guest: block forever, one hypercall at a time (r15 = the sched_op stub). */
static const uint8_t blocker_code[] = {
    0xBF, 0x01, 0x00, 0x00, 0x00, /* 1: mov edi, SCHEDOP_block */
    0x41, 0xFF, 0xD7,             /* call r15 */
    0xEB, 0xF6,                   /* jmp 1b */
};

struct domain {
    int vcpu;
    int wake; /* eventfd a blocked vCPU sleeps on */
    struct kvm_run *run;
};

static atomic_int blocked;
static int kvm_fd, run_size;

static void *vcpu_thread(void *arg)
{
    struct domain *d = arg;
    d->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    int counted = 0;
    for (;;) {
        if (ioctl(d->vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("KVM_RUN");
        }
        struct kvm_run *run = d->run;
        if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != DOORBELL) {
            fprintf(stderr, "rawdensity: unexpected exit reason %u\n", run->exit_reason);
            exit(1);
        }
        if (run->s.regs.regs.rdi == SCHEDOP_BLOCK) {
            if (!counted) {
                counted = 1;
                atomic_fetch_add(&blocked, 1);
            }
            uint64_t v;
            if (read(d->wake, &v, sizeof v) < 0 && errno != EINTR)
                die("read eventfd");
        }
        run->s.regs.regs.rax = 0;
        run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
    }
    return NULL;
}

static void create_domain(struct domain *d, pthread_attr_t *attr, int index)
{
    int vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");
    char name[32];
    snprintf(name, sizeof name, "raw-dom%d", index);
    int memfd = memfd_create(name, MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, MEM_SIZE) < 0)
        die("memfd_create");
    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (mem == MAP_FAILED)
        die("mmap guest memory");
    build_memory(mem, blocker_code, sizeof blocker_code);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");
    d->vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (d->vcpu < 0)
        die("KVM_CREATE_VCPU");
    d->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->vcpu, 0);
    if (d->run == MAP_FAILED)
        die("mmap kvm_run");
    setup_vcpu(kvm_fd, d->vcpu, 0);
    d->wake = eventfd(0, EFD_CLOEXEC);
    if (d->wake < 0)
        die("eventfd");
    pthread_t t;
    int err = pthread_create(&t, attr, vcpu_thread, d);
    if (err != 0) {
        errno = err;
        die("pthread_create");
    }
}

int main(int argc, char **argv)
{
    int n = 1, stack_kib = 256, opt;
    while ((opt = getopt(argc, argv, "n:s:")) != -1) {
        switch (opt) {
        case 'n': n = atoi(optarg); break;
        case 's': stack_kib = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: rawdensity [-n N] [-s STACK_KIB]\n");
            return 2;
        }
    }
    if (n < 1)
        fail("-n must be at least 1");

    /* SIGINT and SIGTERM are taken synchronously by the main thread only. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    uint64_t t0 = now_ns();
    kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_fd < 0)
        die("open /dev/kvm");
    run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0)
        die("KVM_GET_VCPU_MMAP_SIZE");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)stack_kib * 1024);
    struct domain *doms = calloc((size_t)n, sizeof *doms);
    if (doms == NULL)
        fail("out of memory");
    for (int i = 0; i < n; i++)
        create_domain(&doms[i], &attr, i);
    printf("CREATED n=%d ns=%llu\n", n, (unsigned long long)(now_ns() - t0));
    fflush(stdout);
    while (atomic_load(&blocked) < n)
        usleep(200);
    printf("BLOCKED n=%d ns=%llu\n", n, (unsigned long long)(now_ns() - t0));
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    printf("STOPPED signal=%d\n", sig);
    fflush(stdout);
    return 0;
}
