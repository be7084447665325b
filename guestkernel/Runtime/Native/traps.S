# Trap entry stubs: one 16-byte stub per vector (0-255) at ParaKitTrapStubs + vector*16, the
# addresses the kernel hands to set_trap_table (Kernel/Traps.cs). Domain 0's IDT has a DPL-3
# trap gate per registered vector, so the CPU enters here at ring 3 with
#   [rsp] = (error code, if the vector has one) rip, cs, rflags, rsp, ss
# on the current stack, or on the trap stack (IST1) for #DF, #SS and #PF.
# Each stub pushes a 0 error code when the CPU does not, and the vector, so the frame always
# has one shape: Internal.Runtime.TrapFrame (r15 .. rax, vector, error, rip, cs, rflags, rsp, ss).
# The common path saves every register (SSE state with fxsave64: interrupted code and device
# interrupts must resume untouched), calls the managed ParaKitTrap(TrapFrame*, fxsave image), which may
# rewrite the frame (e.g. resume in a throw helper), and returns with iretq.
        .intel_syntax noprefix
        .text

        .balign 16
        .globl ParaKitTrapStubs
ParaKitTrapStubs:
        .set vector, 0
        .rept 256
        .balign 16
        .if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30
        .if vector == 14
        jmp     ParaKitPageFaultEntry
        .else
        push    vector
        jmp     ParaKitTrapCommon
        .endif
        .else
        push    0
        push    vector
        jmp     ParaKitTrapCommon
        .endif
        .set vector, vector + 1
        .endr

# #PF arrives on the trap stack (IST1). A fault on the guard page (the interrupted rsp is close
# to the stack's bottom) stays there; any other page fault moves its frame to the interrupted
# stack, below the red zone, so a fault inside the handler (or the exception it becomes) does
# not reuse the trap stack under our feet.
ParaKitPageFaultEntry:
        push    14
        push    rax
        push    rcx
        # [rsp] rcx, +8 rax, +16 vector, +24 error, +32 rip, +40 cs, +48 rflags, +56 rsp, +64 ss
        mov     rax, [rsp + 56]
        cmp     rax, [rip + ParaKitTrapStackLimitValue]
        jb      2f
        sub     rax, 128
        and     rax, -16
        sub     rax, 56
        mov     rcx, [rsp + 16]
        mov     [rax], rcx
        mov     rcx, [rsp + 24]
        mov     [rax + 8], rcx
        mov     rcx, [rsp + 32]
        mov     [rax + 16], rcx
        mov     rcx, [rsp + 40]
        mov     [rax + 24], rcx
        mov     rcx, [rsp + 48]
        mov     [rax + 32], rcx
        mov     rcx, [rsp + 56]
        mov     [rax + 40], rcx
        mov     rcx, [rsp + 64]
        mov     [rax + 48], rcx
        mov     rcx, [rsp + 8]
        mov     [rax - 8], rcx              # the interrupted rax and rcx travel along
        mov     rcx, [rsp]
        mov     [rax - 16], rcx
        lea     rsp, [rax - 16]
2:      pop     rcx
        pop     rax
        jmp     ParaKitTrapCommon

ParaKitTrapCommon:
        push    rax
        push    rbx
        push    rcx
        push    rdx
        push    rsi
        push    rdi
        push    rbp
        push    r8
        push    r9
        push    r10
        push    r11
        push    r12
        push    r13
        push    r14
        push    r15
        cld
        mov     rbx, rsp                    # TrapFrame*
        sub     rsp, 512
        and     rsp, -16
        fxsave64 [rsp]
        mov     rdi, rbx
        mov     rsi, rsp                    # the fxsave64 image (a debugger reads and writes it)
        call    ParaKitTrap
        fxrstor64 [rsp]
        mov     rsp, rbx
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     rbp
        pop     rdi
        pop     rsi
        pop     rdx
        pop     rcx
        pop     rbx
        pop     rax
        add     rsp, 16                     # vector, error code
        iretq

# ParaKitCallerContext(FaultRecord* rdi): the caller's return address (Rip), its rsp after
# the return and its rbp, for a crash report that starts at the calling method.
        .globl ParaKitCallerContext
ParaKitCallerContext:
        mov     rax, [rsp]
        mov     [rdi + 24], rax
        lea     rax, [rsp + 8]
        mov     [rdi + 32], rax
        mov     [rdi + 40], rbp
        mov     dword ptr [rdi + 48], 1
        ret

# ParaKitDebugBreak(): an int3 the #BP handler reports to a debugger (debug_stop); execution
# continues after it. Used to stop before Main under `parakit run --gdb`.
        .globl ParaKitDebugBreak
ParaKitDebugBreak:
        int3
        ret

        .globl ParaKitTrapStubsBase
ParaKitTrapStubsBase:
        lea     rax, [rip + ParaKitTrapStubs]
        ret

# Page faults whose interrupted rsp is below this stay on the trap stack (stack overflow).
        .globl ParaKitSetTrapStackLimit
ParaKitSetTrapStackLimit:
        mov     [rip + ParaKitTrapStackLimitValue], rdi
        ret

        .data
        .balign 8
ParaKitTrapStackLimitValue:
        .quad   0

        .section .note.GNU-stack,"",@progbits
