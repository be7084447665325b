// memcpy bandwidth on this host, the ceiling for a data path that copies each frame twice
// (grant copy out of the sender, grant copy into the receiver). Prints
// "RESULT memcpy_gbps=G size=N" for a copy of N bytes repeated for about a second.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv)
{
    size_t size = argc > 1 ? strtoul(argv[1], NULL, 10) : 1500;
    if (size == 0 || size > (1 << 20)) { fprintf(stderr, "usage: memcpybw [BYTES 1..1048576]\n"); return 2; }
    // Sources and destinations rotate over 4 MiB so the copies are not all in L1.
    size_t span = 4u << 20, slots = span / size;
    char *src = malloc(span), *dst = malloc(span);
    if (!src || !dst) return 1;
    memset(src, 1, span); memset(dst, 0, span);
    unsigned long n = 0; double t0 = now(), t;
    do {
        for (int k = 0; k < 4096; k++, n++) {
            size_t at = (n % slots) * size;
            memcpy(dst + at, src + at, size);
            __asm__ volatile("" ::: "memory");
        }
        t = now() - t0;
    } while (t < 1.0);
    printf("RESULT memcpy_gbps=%.3f size=%zu copies_per_s=%.0f\n", n * size * 8 / t / 1e9, size, n / t);
    return 0;
}
