/* A hostile guest: hands domain 0 bad pointers, wrapping ranges, huge counts, read-only and
   hypervisor-private destinations, unknown hypercalls and sub-ops, and checks that each one
   fails with the right errno. Prints "FAIL <check>" for each mismatch and exits with the number
   of failures (0 = domain 0 behaved), after proving the console still works. */
#include "common.inc"

/* CHECK id, hypercall, expected, a1, a2, a3: call and compare rax with expected. */
.macro CHECK id, hc, expected, a1, a2, a3
    mov \a1, %rdi
    mov \a2, %rsi
    mov \a3, %rdx
    mov $\hc, %eax
    call *%rax
    mov \expected, %rcx
    cmp %rcx, %rax
    je 9f
    mov $\id, %edi
    call fail
9:
.endm

    .text
    .globl _start
_start:
    xor %r15d, %r15d
    /* console_io with bad buffers */
    CHECK 1,  HC_CONSOLE_IO, $EFAULT, $0, $10, $0                        /* null */
    CHECK 2,  HC_CONSOLE_IO, $EFAULT, $0, $10, $0x100000000000           /* far beyond RAM */
    CHECK 3,  HC_CONSOLE_IO, $EFAULT, $0, $0x20, $-16                    /* wraps around */
    CHECK 4,  HC_CONSOLE_IO, $EFAULT, $0, $0x7fffffffffffffff, $0x100000 /* huge count */
    CHECK 5,  HC_CONSOLE_IO, $EFAULT, $0, $-1, $0x100000                 /* count -1 */
    CHECK 6,  HC_CONSOLE_IO, $EFAULT, $0, $0x10000000, $0x100000         /* past the end of RAM */
    CHECK 7,  HC_CONSOLE_IO, $0,      $0, $0, $0                         /* zero bytes: nothing */
    CHECK 8,  HC_CONSOLE_IO, $ENOSYS, $99, $1, $0x100000                 /* unknown command */
    /* xen_version into places the guest may not write */
    CHECK 10, HC_XEN_VERSION, $0x40013, $0, $0, $0
    CHECK 11, HC_XEN_VERSION, $EFAULT, $1, $0, $0                        /* null */
    CHECK 12, HC_XEN_VERSION, $EFAULT, $1, $0x1000, $0                   /* start_info: read-only */
    CHECK 13, HC_XEN_VERSION, $EFAULT, $1, $0x3000, $0                   /* hypercall page */
    CHECK 14, HC_XEN_VERSION, $EFAULT, $1, $0x8000, $0                   /* GDT / page tables */
    CHECK 15, HC_XEN_VERSION, $EFAULT, $1, $0xa000, $0                   /* the PML4 */
    CHECK 16, HC_XEN_VERSION, $EFAULT, $1, $0xF0000000, $0               /* the doorbell */
    CHECK 17, HC_XEN_VERSION, $EFAULT, $1, $-8, $0                       /* wraps */
    CHECK 18, HC_XEN_VERSION, $ENOSYS, $1000, $0, $0
    lea extra(%rip), %r14
    CHECK 19, HC_XEN_VERSION, $0, $1, %r14, $0                           /* valid buffer */
    cmpl $0x7261702d, 2(%r14)                                            /* ".0-parakit": "-par" */
    je 1f
    mov $20, %edi
    call fail
1:
    /* sched_op abuse */
    CHECK 30, HC_SCHED_OP, $EFAULT, $SCHEDOP_SHUTDOWN, $0, $0
    CHECK 31, HC_SCHED_OP, $EFAULT, $SCHEDOP_SHUTDOWN, $-2, $0
    lea bad_reason(%rip), %r14
    CHECK 32, HC_SCHED_OP, $EINVAL, $SCHEDOP_SHUTDOWN, %r14, $0
    CHECK 33, HC_SCHED_OP, $ENOSYS, $77, $0, $0
    CHECK 34, HC_SCHED_OP, $EFAULT, $SCHEDOP_POLL, $0, $0
    lea poll_many(%rip), %r14
    CHECK 35, HC_SCHED_OP, $EINVAL, $SCHEDOP_POLL, %r14, $0             /* 1000 ports */
    lea poll_badptr(%rip), %r14
    CHECK 36, HC_SCHED_OP, $EFAULT, $SCHEDOP_POLL, %r14, $0             /* ports at 0 */
    lea poll_badport(%rip), %r14
    CHECK 37, HC_SCHED_OP, $EINVAL, $SCHEDOP_POLL, %r14, $0             /* port 5000 */
    CHECK 38, HC_SCHED_OP, $EFAULT, $4, $0, $0                          /* remote_shutdown null */
    lea remote_other(%rip), %r14
    CHECK 39, HC_SCHED_OP, $-1, $4, %r14, $0                            /* another domain: EPERM */
    CHECK 40, HC_SCHED_OP, $0, $SCHEDOP_YIELD, $0, $0
    /* set_trap_table with a trap_info array outside RAM, and one with a ring-0 selector */
    CHECK 50, HC(0), $EFAULT, $0x7fff0000, $0, $0
    lea bad_trap(%rip), %r14
    CHECK 54, HC(0), $EINVAL, %r14, $0, $0
    /* unknown hypercalls through the page */
    CHECK 51, HC(1), $ENOSYS, $0, $0, $0
    CHECK 52, HC(127), $ENOSYS, $0, $0, $0
    /* numbers outside the page, written straight to the doorbell */
    mov $200, %eax
    mov $0xF0000000, %r11
    mov %eax, (%r11)
    cmp $ENOSYS, %rax
    je 1f
    mov $53, %edi
    call fail
1:  mov $-1, %eax
    mov $0xF0000000, %r11
    mov %eax, (%r11)
    cmp $ENOSYS, %rax
    je 1f
    mov $54, %edi
    call fail
1:
    /* set_timer_op with absurd values must not hurt either */
    CHECK 60, HC_SET_TIMER_OP, $0, $-1, $0, $0
    CHECK 61, HC_SET_TIMER_OP, $0, $0, $0, $0
    PRINT done, done_len
    EXIT %r15

/* fail(id): print "FAIL nn\n" and count it */
fail:
    inc %r15
    mov %edi, %eax
    xor %edx, %edx
    mov $10, %ecx
    div %ecx
    add $'0', %al
    add $'0', %dl
    lea failmsg(%rip), %rsi
    mov %al, 5(%rsi)
    mov %dl, 6(%rsi)
    PRINT failmsg, 8
    ret

    .data
failmsg: .ascii "FAIL nn\n"
extra:  .fill 16, 1, 0
bad_reason: .long 99
poll_many:  .quad ports
            .long 1000, 0
            .quad 0
poll_badptr: .quad 0
            .long 1, 0
            .quad 0
poll_badport: .quad badport
            .long 1, 0
            .quad 0
remote_other: .short 5, 0
            .long 0
ports:      .long 1, 2, 3, 4
badport:    .long 5000
/* trap_info {vector 0, flags 0, cs 0x10 (ring 0: refused), address _start}, then the terminator */
bad_trap:   .byte 0, 0
            .word 0x10
            .long 0
            .quad 0x100000
            .quad 0, 0
    .section .rodata
done:   .ascii "malicious: done\n"
    .set done_len, . - done
