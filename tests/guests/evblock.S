/* Blocks in SCHEDOP_block ten times. Each time it wakes it acknowledges event-channel port 1
   (clears its pending bit, pending_sel and upcall_pending, as a Xen guest's event loop does),
   then blocks again; after ten wake-ups it exits with status 10. Domain 0 tests drive it by
   setting port 1 pending in shared_info and waking the vCPU. */
#include "common.inc"
#define SHARED_INFO 0x2000
#define EVTCHN_PENDING (SHARED_INFO + 2048)
    .text
    .globl _start
_start:
    xor %r12d, %r12d
1:  mov $SCHEDOP_BLOCK, %edi
    xor %esi, %esi
    mov $HC_SCHED_OP, %eax
    call *%rax
    lock btrq $1, EVTCHN_PENDING
    movq $0, SHARED_INFO + 8          /* pending_sel */
    movb $0, SHARED_INFO              /* upcall_pending */
    inc %r12
    cmp $10, %r12
    jne 1b
    EXIT %r12
