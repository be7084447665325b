# The few instructions C# cannot express: the entry point, helpers ILC calls with register
# conventions of its own (write barriers, interface dispatch), memset/memcpy for ILC-generated
# code, and symbols the runtime references. Everything else is C#.
        .intel_syntax noprefix
        .text

# _start: rdi = StartInfo*, rsp = StackTop (16-byte aligned), every other register 0.
        .globl _start
        .type _start, @function
_start:
        mov     rbp, 0                      # terminate frame-pointer chains for crash reports
        mov     [rip + ParaKitStackTopValue], rsp   # the collector scans the stack up to here
        mov     r12, rdi
        call    ParaKitKernelStart          # kernel: checks StartInfo, heap, statics, console
        mov     rdi, 0                      # argc, argv (arguments come from StartInfo)
        mov     rsi, 0
        call    __managed__Main
        mov     edi, eax
        call    ParaKitKernelExit           # does not return
1:      jmp     1b
        .size _start, .-_start

# Module headers ILC placed in the __modules section (bounds defined by the linker script).
        .globl ParaKitModulesStart
ParaKitModulesStart:
        lea     rax, [rip + __start___modules]
        ret
        .globl ParaKitModulesEnd
ParaKitModulesEnd:
        lea     rax, [rip + __stop___modules]
        ret

# Garbage collector support (Internal/Collector.cs): spill the callee-saved registers, which
# may hold the only reference to an object, onto the stack and collect from there.
        .globl ParaKitCollectWithRegisters
ParaKitCollectWithRegisters:
        push    rbx
        push    rbp
        push    r12
        push    r13
        push    r14
        push    r15
        sub     rsp, 8
        mov     rdi, rsp
        call    ParaKitCollectFromStack
        add     rsp, 8
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbp
        pop     rbx
        ret

        .globl ParaKitStackTop
ParaKitStackTop:
        mov     rax, [rip + ParaKitStackTopValue]
        ret

# The image's data and bss (bounds from Toolchain/guest.ld): roots for the collector.
        .globl ParaKitDataStart
ParaKitDataStart:
        lea     rax, [rip + __parakit_data_start]
        ret
        .globl ParaKitDataEnd
ParaKitDataEnd:
        lea     rax, [rip + __parakit_data_end]
        ret

# Type-name table added by the second link (0 if absent).
        .globl ParaKitTypeNames
ParaKitTypeNames:
        lea     rax, [rip + __parakit_type_names]
        ret
        .weak   __parakit_type_names

ParaKitRdtsc:
        .globl ParaKitRdtsc
        rdtsc
        shl     rdx, 32
        or      rax, rdx
        ret

        .globl ParaKitPause
ParaKitPause:
        pause
        ret

# Write barriers: no GC, so a store is just a store.
        .globl RhpAssignRef
RhpAssignRef:
        .globl RhpCheckedAssignRef
RhpCheckedAssignRef:
        mov     [rdi], rsi
        ret

# *rdi = *rsi; rdi += 8; rsi += 8 (the JIT's by-ref barrier contract; may trash rcx).
        .globl RhpByRefAssignRef
RhpByRefAssignRef:
        mov     rcx, [rsi]
        mov     [rdi], rcx
        add     rdi, 8
        add     rsi, 8
        ret

        .globl RhpCheckedLockCmpXchg
RhpCheckedLockCmpXchg:
        mov     rax, rdx
        lock cmpxchg [rdi], rsi
        ret

        .globl RhpCheckedXchg
RhpCheckedXchg:
        mov     rax, rsi
        xchg    [rdi], rax
        ret

# Transitions between managed and native code: nothing to do without a GC or threads.
        .globl RhpReversePInvoke
RhpReversePInvoke:
        .globl RhpReversePInvokeReturn
RhpReversePInvokeReturn:
        .globl RhpPInvoke
RhpPInvoke:
        .globl RhpPInvokeReturn
RhpPInvokeReturn:
        .globl RhpGcPoll
RhpGcPoll:
        ret

# Interface dispatch (see Internal/InterfaceDispatch.cs): r11 = call-site cell, rdi = this.
# Probe the (MethodTable, cell) -> target cache; on a miss resolve in C# with every argument
# register saved, then jump to the target as if it had been called directly.
        .globl RhpInitialDynamicInterfaceDispatch
RhpInitialDynamicInterfaceDispatch:
        mov     r10, [rdi]                  # this->MethodTable (null this faults: a crash)
        mov     rax, r10
        xor     rax, r11
        shr     rax, 4
        and     eax, 4095
        shl     eax, 5                      # 32-byte entries; the image sits below 2 GiB,
        cmp     r10, [rax + ParaKitDispatchCacheTable]       # so the table address fits
        jne     3f                                           # in a 32-bit displacement
        cmp     r11, [rax + ParaKitDispatchCacheTable + 8]
        jne     3f
        jmp     [rax + ParaKitDispatchCacheTable + 16]
3:      push    rdi
        push    rsi
        push    rdx
        push    rcx
        push    r8
        push    r9
        sub     rsp, 136
        movdqu  [rsp + 0], xmm0
        movdqu  [rsp + 16], xmm1
        movdqu  [rsp + 32], xmm2
        movdqu  [rsp + 48], xmm3
        movdqu  [rsp + 64], xmm4
        movdqu  [rsp + 80], xmm5
        movdqu  [rsp + 96], xmm6
        movdqu  [rsp + 112], xmm7
        mov     rsi, r11
        call    ParaKitResolveInterfaceDispatch
        movdqu  xmm0, [rsp + 0]
        movdqu  xmm1, [rsp + 16]
        movdqu  xmm2, [rsp + 32]
        movdqu  xmm3, [rsp + 48]
        movdqu  xmm4, [rsp + 64]
        movdqu  xmm5, [rsp + 80]
        movdqu  xmm6, [rsp + 96]
        movdqu  xmm7, [rsp + 112]
        add     rsp, 136
        pop     r9
        pop     r8
        pop     rcx
        pop     rdx
        pop     rsi
        pop     rdi
        jmp     rax

        .globl ParaKitDispatchCache
ParaKitDispatchCache:
        lea     rax, [rip + ParaKitDispatchCacheTable]
        ret

# memset/memcpy/memmove with the C signatures ILC's code expects (rax = destination).
        .globl memset
memset:
        mov     r9, rdi
        mov     eax, esi
        mov     rcx, rdx
        rep stosb
        mov     rax, r9
        ret

        .globl memcpy
memcpy:
        .globl memmove
memmove:
        mov     rax, rdi
        mov     rcx, rdx
        cmp     rdi, rsi
        jbe     2f
        lea     r8, [rsi + rdx]
        cmp     rdi, r8
        jae     2f
        # Overlap with destination above source: copy backwards.
        lea     rsi, [rsi + rdx - 1]
        lea     rdi, [rdi + rdx - 1]
        std
        rep movsb
        cld
        ret
2:      rep movsb
        ret

        .data
        .balign 8
# GC poll flag ILC's code tests before calling RhpGcPoll: never set.
        .globl RhpTrapThreads
RhpTrapThreads:
        .long 0
        .long 0
ParaKitStackTopValue:
        .quad 0
        .globl __security_cookie
__security_cookie:
        .quad 0x2B992DDFA232A5C3

        .bss
        .balign 64
ParaKitDispatchCacheTable:
        .zero   4096 * 32

        .section .note.GNU-stack,"",@progbits
