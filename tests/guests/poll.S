/* SCHEDOP_poll: first on port 3 (not pending) with a timeout 30 ms ahead, which must expire;
   then with port 3 already pending and a 1 s timeout, which must return at once (status 255
   if it does not). Exits with the first wait in milliseconds, measured with pvclock. */
#include "common.inc"
#define TIME 0x2020
#define EVTCHN_PENDING (0x2000 + 2048)
    .text
    .globl _start
_start:
    call pvclock_now
    mov %rax, %r12
    lea 30000000(%rax), %rax
    lea poll_arg(%rip), %rsi
    mov %rax, 16(%rsi)               /* timeout */
    mov $SCHEDOP_POLL, %edi
    mov $HC_SCHED_OP, %eax
    call *%rax
    call pvclock_now
    sub %r12, %rax
    xor %edx, %edx
    mov $1000000, %ecx
    div %rcx
    mov %rax, %r13
    /* port 3 pending: no wait */
    lock btsq $3, EVTCHN_PENDING
    call pvclock_now
    mov %rax, %r12
    lea 1000000000(%rax), %rax
    lea poll_arg(%rip), %rsi
    mov %rax, 16(%rsi)
    mov $SCHEDOP_POLL, %edi
    mov $HC_SCHED_OP, %eax
    call *%rax
    call pvclock_now
    sub %r12, %rax
    cmp $20000000, %rax
    jb 1f
    EXIT $255
1:  EXIT %r13

pvclock_now:
1:  mov TIME, %r8d
    test $1, %r8d
    jnz 1b
    lfence
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    sub TIME+8, %rax
    movsbl TIME+28, %ecx
    test %ecx, %ecx
    js 2f
    shl %cl, %rax
    jmp 3f
2:  neg %ecx
    shr %cl, %rax
3:  mov TIME+24, %edx
    mul %rdx
    shrd $32, %rdx, %rax
    add TIME+16, %rax
    lfence
    cmp TIME, %r8d
    jne 1b
    ret
    .data
    .align 8
poll_arg:   .quad port
            .long 1, 0
            .quad 0
port:       .long 3
