/* 100000 xen_version hypercalls in a tight loop, then exit: `parakit run --stats` divides the
   domain's run time by its exits to give the cost of one hypercall round trip. */
#include "common.inc"
#define N 100000
    .text
    .globl _start
_start:
    mov $N, %r12d
1:  xor %edi, %edi
    xor %esi, %esi
    mov $HC_XEN_VERSION, %eax
    call *%rax
    dec %r12d
    jnz 1b
    EXIT $0
