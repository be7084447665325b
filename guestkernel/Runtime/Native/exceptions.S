# Exception dispatch entry points (the managed side is Runtime/Internal/ExceptionDispatch.cs).
# ILC's code calls RhpThrowEx (rdi = exception) for `throw` and RhpRethrow for `throw;`; the
# trap handler resumes a faulting instruction in ParaKitThrowHardware. Each captures the
# thrower's context (Internal.Runtime.RegisterContext: rip, rsp, rbx, rbp, r12-r15) and calls
# the dispatcher, which never returns here.
# The funclet thunks follow NativeAOT's x64 contract (ILC's funclets address their parent's
# frame through rbp, so the callee-saved registers of the parent frame are restored first;
# catch and filter funclets take the exception object in the first argument register; a catch
# funclet returns the address to resume at).
        .intel_syntax noprefix
        .text

.macro CAPTURE_CONTEXT ripsrc, rspsrc
        mov     [rsp], \ripsrc
        mov     [rsp + 8], \rspsrc
        mov     [rsp + 16], rbx
        mov     [rsp + 24], rbp
        mov     [rsp + 32], r12
        mov     [rsp + 40], r13
        mov     [rsp + 48], r14
        mov     [rsp + 56], r15
.endm

.macro RESTORE_CALLEE_SAVED ctx
        mov     rbx, [\ctx + 16]
        mov     rbp, [\ctx + 24]
        mov     r12, [\ctx + 32]
        mov     r13, [\ctx + 40]
        mov     r14, [\ctx + 48]
        mov     r15, [\ctx + 56]
.endm

# RhpThrowEx(object exception): the context is the caller's, just after its call.
        .globl RhpThrowEx
RhpThrowEx:
        mov     rax, [rsp]                  # return address into the throwing method
        lea     rcx, [rsp + 8]              # its rsp after the call
        sub     rsp, 72                     # 8 registers, 16-byte aligned for the call
        CAPTURE_CONTEXT rax, rcx
        mov     rsi, rsp
        call    ParaKitDispatchThrow
        int3

# RhpRethrow(): `throw;` inside a catch funclet.
        .globl RhpRethrow
RhpRethrow:
        mov     rax, [rsp]
        lea     rcx, [rsp + 8]
        sub     rsp, 72
        CAPTURE_CONTEXT rax, rcx
        mov     rdi, rsp
        call    ParaKitDispatchRethrow
        int3

# ParaKitThrowHardware: the trap handler's iretq lands here on the faulting code's stack with
# rdi = cause (HardwareFaults numbers) and rsi = the faulting instruction; every callee-saved
# register still holds the faulting code's value.
        .globl ParaKitThrowHardware
ParaKitThrowHardware:
        mov     rcx, rsp                    # the faulting code's rsp
        and     rsp, -16
        sub     rsp, 64
        CAPTURE_CONTEXT rsi, rcx
        mov     rsi, rsp
        call    ParaKitDispatchHardware
        int3

# ParaKitCallCatchFunclet(object exception, void* handler, RegisterContext* frame): runs the
# catch funclet in the frame's context, tells the dispatcher the catch is over, then resumes
# the method at the address the funclet returned, on the frame's stack. Never returns.
        .globl ParaKitCallCatchFunclet
ParaKitCallCatchFunclet:
        sub     rsp, 24                     # [rsp] frame context, [rsp+8] resume address
        mov     [rsp], rdx
        RESTORE_CALLEE_SAVED rdx
        mov     rax, rsi
        mov     rsi, rdi                    # the exception in both argument registers:
        call    rax                         # ILC's funclets read the first
        .globl ParaKitCatchFuncletReturn
ParaKitCatchFuncletReturn:
        mov     [rsp + 8], rax
        mov     rdi, [rsp]
        call    ParaKitCatchDone            # a C# call: keeps rbx, rbp, r12-r15
        mov     rax, [rsp + 8]
        mov     rdx, [rsp]
        mov     rsp, [rdx + 8]
        jmp     rax

# ParaKitCallFinallyFunclet(void* handler, RegisterContext* frame): runs a finally (or fault)
# funclet in the frame's context and returns.
        .globl ParaKitCallFinallyFunclet
ParaKitCallFinallyFunclet:
        push    rbx
        push    rbp
        push    r12
        push    r13
        push    r14
        push    r15
        sub     rsp, 8
        RESTORE_CALLEE_SAVED rsi
        call    rdi
        .globl ParaKitFinallyFuncletReturn
ParaKitFinallyFuncletReturn:
        add     rsp, 8
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbp
        pop     rbx
        ret

# ParaKitCallFilterFunclet(object exception, void* filter, RegisterContext* frame): runs a
# filter funclet in the frame's context; returns its verdict (non-zero: this clause catches).
        .globl ParaKitCallFilterFunclet
ParaKitCallFilterFunclet:
        push    rbx
        push    rbp
        push    r12
        push    r13
        push    r14
        push    r15
        sub     rsp, 8
        RESTORE_CALLEE_SAVED rdx
        mov     rax, rsi
        mov     rsi, rdi
        call    rax
        .globl ParaKitFilterFuncletReturn
ParaKitFilterFuncletReturn:
        add     rsp, 8
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbp
        pop     rbx
        ret

# ParaKitResumeFilterCaller(RegisterContext* at): an exception escaped a filter: resume its
# thunk just after the call with rax = 0 (the filter said no), as .NET does.
        .globl ParaKitResumeFilterCaller
ParaKitResumeFilterCaller:
        mov     rsp, [rdi + 8]
        RESTORE_CALLEE_SAVED rdi
        xor     eax, eax
        jmp     ParaKitFilterFuncletReturn

# Addresses the dispatcher compares return addresses with, and the .eh_frame bounds.
        .globl ParaKitExceptionAddresses
ParaKitExceptionAddresses:
        lea     rax, [rip + 1f]
        ret
        .section .rodata
        .balign 8
1:      .quad   ParaKitCatchFuncletReturn
        .quad   ParaKitFinallyFuncletReturn
        .quad   ParaKitFilterFuncletReturn
        .quad   ParaKitThrowHardware
        .quad   __parakit_eh_frame_start
        .quad   __parakit_eh_frame_end
        .quad   ParaKitCallCatchFunclet
        .quad   ParaKitCallFilterFunclet
        .text

        .section .note.GNU-stack,"",@progbits
