/* Dereferences a null pointer inside a named function: the page at 0 is unmapped and there is
   no IDT, so the fault becomes a triple fault that parakit reports with <crash_here+0x...>. */
#include "common.inc"
    .text
    .globl _start
_start:
    PRINT msg, msg_len
    call crash_here
    EXIT $0
    .globl crash_here
    .type crash_here, @function
crash_here:
    xor %eax, %eax
    movq (%rax), %rax
    ret
    .size crash_here, . - crash_here
    .section .rodata
msg:    .ascii "about to dereference null\n"
    .set msg_len, . - msg
