/* Shuts down the way its command line says: "0".."4" = SCHEDOP_shutdown with that reason
   (poweroff, reboot, suspend, crash, watchdog), "e" = ParaKitSchedOp.Exit with status 42.
   The command line is read from start_info (0x1000 + 1024). */
#include "common.inc"
#define CMDLINE 0x1400
    .text
    .globl _start
_start:
    movzbl CMDLINE, %eax
    cmp $'e', %eax
    jne 1f
    EXIT $42
1:  sub $'0', %eax
    lea reason(%rip), %rsi
    mov %eax, (%rsi)
    mov $SCHEDOP_SHUTDOWN, %edi
    mov $HC_SCHED_OP, %eax
    call *%rax
    /* only reached if the shutdown was refused */
    PRINT refused, refused_len
    EXIT $99
    .data
reason: .long 0
    .section .rodata
refused: .ascii "shutdown refused\n"
    .set refused_len, . - refused
