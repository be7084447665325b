/* An image whose bss (8 MiB) cannot fit in 4 MiB of guest memory: `parakit run --memory 4`
   must refuse it with a clear message instead of booting. */
#include "common.inc"
    .text
    .globl _start
_start:
    EXIT $0
    .bss
big:    .skip 8 * 1024 * 1024
