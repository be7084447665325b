/* Says it blocks, then blocks forever in SCHEDOP_block (a wake-up blocks it again): the same
   guest as bench/kvm-baseline/rawdensity.c's, so that `GUEST=asm bench/density.sh` compares
   domain 0 with the C VMM alone, without the C# unikernel's own pages. */
#include "common.inc"
    .text
    .globl _start
_start:
    PRINT msg, msg_len
1:  mov $SCHEDOP_BLOCK, %edi
    xor %esi, %esi
    mov $HC_SCHED_OP, %eax
    call *%rax
    jmp 1b
    .section .rodata
msg:    .ascii "blocking forever\n"
    .set msg_len, . - msg
