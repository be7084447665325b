/* Writes over its own code and data, then exits with status 0: the boot-template tests check
   that these writes (made by the guest through KVM, into pages every domain of this image
   shares copy-on-write) change this domain's pages only. */
#include "common.inc"
    .text
    .globl _start
    .type _start, @function
_start:
    movq $0x5752495454454e21, %rax     /* "!NETTIRW" */
    movq %rax, data_word(%rip)
    movq %rax, code_word(%rip)
    EXIT $0
    ud2
    .balign 4096
    .globl code_word
    .type code_word, @object
code_word: .quad 0x1111111111111111
    .data
    .balign 8
    .globl data_word
    .type data_word, @object
data_word: .quad 0x2222222222222222
