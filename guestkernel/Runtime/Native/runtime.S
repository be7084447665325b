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
        .globl __security_cookie
__security_cookie:
        .quad 0x2B992DDFA232A5C3

        .section .note.GNU-stack,"",@progbits
