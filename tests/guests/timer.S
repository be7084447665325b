/* Reads system time with Xen's pvclock formula from vcpu_time_info (shared_info + 32), sets a
   timer DELAY ns ahead, blocks, and exits with the elapsed time in milliseconds. Checks that
   guest and hypervisor agree on time and that SCHEDOP_block wakes on the timer. Then checks
   that a deadline already in the past does not block at all (status 255 if it did). */
#include "common.inc"
#define DELAY 50000000
#define TIME 0x2020
    .text
    .globl _start
_start:
    call pvclock_now
    mov %rax, %r12
    lea DELAY(%rax), %rdi
    mov $HC_SET_TIMER_OP, %eax
    call *%rax
    mov $SCHEDOP_BLOCK, %edi
    xor %esi, %esi
    mov $HC_SCHED_OP, %eax
    call *%rax
    call pvclock_now
    sub %r12, %rax
    xor %edx, %edx
    mov $1000000, %ecx
    div %rcx
    mov %rax, %r13              /* elapsed ms */
    /* past deadline: block must return at once */
    call pvclock_now
    mov %rax, %r12
    mov $1, %edi
    mov $HC_SET_TIMER_OP, %eax
    call *%rax
    mov $SCHEDOP_BLOCK, %edi
    xor %esi, %esi
    mov $HC_SCHED_OP, %eax
    call *%rax
    call pvclock_now
    sub %r12, %rax
    cmp $20000000, %rax         /* more than 20 ms: it blocked */
    jb 1f
    EXIT $255
1:  PRINT msg, msg_len
    EXIT %r13

    .globl pvclock_now
pvclock_now:
1:  mov TIME, %r8d              /* version */
    test $1, %r8d
    jnz 1b
    lfence
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    sub TIME+8, %rax            /* - tsc_timestamp */
    movsbl TIME+28, %ecx        /* tsc_shift */
    test %ecx, %ecx
    js 2f
    shl %cl, %rax
    jmp 3f
2:  neg %ecx
    shr %cl, %rax
3:  mov TIME+24, %edx           /* tsc_to_system_mul */
    mul %rdx
    shrd $32, %rdx, %rax
    add TIME+16, %rax           /* + system_time */
    lfence
    cmp TIME, %r8d
    jne 1b
    ret
    .section .rodata
msg:    .ascii "timer ok\n"
    .set msg_len, . - msg
