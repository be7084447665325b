/*
 * spawntime: times repeated runs of a command for bench/boot.sh, without the shell's own
 * fork/exec noise inside the measurement.
 *
 * For each run it records, from just before fork(): the time of the first byte the child
 * writes to stdout (for `parakit run hello.elf`, the guest's first console output as the host
 * sees it) and the time the child has exited. stdout and stderr are captured (separately, so a
 * diagnostic on stderr does not count as console output) and appended to an output file, each
 * run headed by "=== run I", so the script can parse lines such as --stats from it.
 *
 * Usage: spawntime [-n RUNS] [-t TIMEOUT_S] [-o OUTFILE] -- COMMAND [ARGS...]
 * Prints one line per run: "RUN i=I exit_ns=N first_stdout_ns=N status=S start_mono_ns=T"
 * (first_stdout_ns=-1 when nothing was written; status is the exit status, 128+signal when
 * killed, or "timeout" when killed after TIMEOUT_S; start_mono_ns is CLOCK_MONOTONIC just
 * before fork, so timestamps the child prints from the same clock, such as .NET's
 * Stopwatch.GetTimestamp() on Linux, convert to times since fork).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "spawntime: %s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    int runs = 20, opt;
    double timeout_s = 30;
    const char *outfile = "/dev/null";
    while ((opt = getopt(argc, argv, "+n:t:o:")) != -1) {
        switch (opt) {
        case 'n': runs = atoi(optarg); break;
        case 't': timeout_s = atof(optarg); break;
        case 'o': outfile = optarg; break;
        default:
            fprintf(stderr, "usage: spawntime [-n RUNS] [-t TIMEOUT_S] [-o OUTFILE] -- COMMAND [ARGS...]\n");
            return 2;
        }
    }
    if (optind >= argc || runs < 1) {
        fprintf(stderr, "usage: spawntime [-n RUNS] [-t TIMEOUT_S] [-o OUTFILE] -- COMMAND [ARGS...]\n");
        return 2;
    }
    FILE *out = fopen(outfile, "w");
    if (out == NULL)
        die(outfile);

    for (int i = 1; i <= runs; i++) {
        int po[2], pe[2];
        if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
            die("pipe");
        fflush(out);
        fflush(stdout);
        int64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            setpgid(0, 0); /* its own group, so a timeout kills its children too */
            dup2(po[1], 1);
            dup2(pe[1], 2);
            execvp(argv[optind], argv + optind);
            fprintf(stderr, "spawntime: exec %s: %s\n", argv[optind], strerror(errno));
            _exit(127);
        }
        close(po[1]);
        close(pe[1]);

        /* Drain both pipes until both close; note when stdout first has data. */
        int64_t first = -1, deadline = t0 + (int64_t)(timeout_s * 1e9);
        int timed_out = 0, open_fds = 2;
        char buf[65536];
        fprintf(out, "=== run %d\n", i);
        struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
        while (open_fds > 0) {
            int64_t left_ms = (deadline - now_ns()) / 1000000;
            if (left_ms <= 0) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                timed_out = 1;
                break;
            }
            int r = poll(fds, 2, (int)(left_ms > 1000 ? 1000 : left_ms));
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                die("poll");
            }
            for (int k = 0; k < 2; k++) {
                if (fds[k].fd < 0 || fds[k].revents == 0)
                    continue;
                ssize_t n = read(fds[k].fd, buf, sizeof buf);
                if (n > 0) {
                    if (k == 0 && first < 0)
                        first = now_ns() - t0;
                    fwrite(buf, 1, (size_t)n, out);
                } else {
                    close(fds[k].fd);
                    fds[k].fd = -1;
                    open_fds--;
                }
            }
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                die("waitpid");
        int64_t done = now_ns() - t0;
        for (int k = 0; k < 2; k++)
            if (fds[k].fd >= 0)
                close(fds[k].fd);
        fprintf(out, "\n");
        if (timed_out)
            printf("RUN i=%d exit_ns=%lld first_stdout_ns=%lld status=timeout start_mono_ns=%lld\n",
                   i, (long long)done, (long long)first, (long long)t0);
        else
            printf("RUN i=%d exit_ns=%lld first_stdout_ns=%lld status=%d start_mono_ns=%lld\n", i,
                   (long long)done, (long long)first,
                   WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), (long long)t0);
    }
    fclose(out);
    return 0;
}
