/* Smallest guest: print a line through console_io, then exit with status 0 through
   ParaKitSchedOp.Exit. Proves the boot contract and the hypercall page. */
#include "common.inc"
    .text
    .globl _start
_start:
    PRINT msg, msg_len
    EXIT $0
    ud2
    .section .rodata
msg:    .ascii "hello from an assembly guest\n"
    .set msg_len, . - msg
