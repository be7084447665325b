/* Reads a register in the device window where no device sits (no e1000 configured): the page is
   mapped, so the load exits to domain 0's bus, nobody claims it, and the domain must end with a
   crash report naming the address (and the function). */
#include "common.inc"
    .text
    .globl _start
_start:
    PRINT msg, msg_len
    call probe_nic
    EXIT $0
    .globl probe_nic
    .type probe_nic, @function
probe_nic:
    mov $0xF0020008, %r11
    movl (%r11), %eax
    ret
    .size probe_nic, . - probe_nic
    .section .rodata
msg:    .ascii "reading a register nobody emulates\n"
    .set msg_len, . - msg
