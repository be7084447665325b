/* Spins forever without a single exit: only `parakit run --timeout` can stop it. */
#include "common.inc"
    .text
    .globl _start
_start:
    PRINT msg, msg_len
    .globl spin_forever
spin_forever:
    jmp spin_forever
    .section .rodata
msg:    .ascii "spinning\n"
    .set msg_len, . - msg
