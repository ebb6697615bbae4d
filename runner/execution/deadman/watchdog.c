/* pd-watchdog: the dead-man switch of a step's container (runner/execution/deadman).
 *
 *     pd-watchdog TIMEOUT_MS GRACE_MS -- PROGRAM [ARG...]
 *
 * Runs under the engine's init (docker-init, PID 1). It forks a monitor that watches its
 * standard input -- the runner's heartbeat, one byte a second over the container's attach
 * connection -- and then becomes PROGRAM itself (exec): same pid, same environment, working
 * directory, stdout/stderr and signal dispositions, standard input /dev/null as without the
 * watchdog, and the exit status is PROGRAM's. When the connection closes (the runner was
 * killed, or its SSH connection dropped) or no byte came for TIMEOUT_MS (the runner's machine
 * lost power, or froze), the monitor sends PROGRAM SIGTERM, then SIGKILL after GRACE_MS; init
 * then exits and the container stops.
 *
 * Freestanding (no libc) so one static binary of a few KB runs in any image: build.sh builds
 * it for x86_64 and aarch64.
 */

typedef unsigned long usize;

#define AT_FDCWD -100
#define O_RDONLY 0
#define SIGCHLD 17
#define SIGKILL 9
#define SIGTERM 15
#define SIGPIPE 13
#define SIG_IGN 1
#define POLLIN 1
#define EINTR 4
#define EAGAIN 11

#if defined(__x86_64__)
#define SYS_read 0
#define SYS_write 1
#define SYS_close 3
#define SYS_getpid 39
#define SYS_clone 56
#define SYS_execve 59
#define SYS_wait4 61
#define SYS_kill 62
#define SYS_setsid 112
#define SYS_nanosleep 35
#define SYS_rt_sigaction 13
#define SYS_openat 257
#define SYS_ppoll 271
#define SYS_dup3 292
#define SYS_exit_group 231
#define SYS_pidfd_send_signal 424
#define SYS_pidfd_open 434

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

__asm__(".text\n.global _start\n_start:\n"
        "  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start_c\n  hlt\n");

#elif defined(__aarch64__)
#define SYS_read 63
#define SYS_write 64
#define SYS_close 57
#define SYS_getpid 172
#define SYS_clone 220
#define SYS_execve 221
#define SYS_wait4 260
#define SYS_kill 129
#define SYS_setsid 157
#define SYS_nanosleep 101
#define SYS_rt_sigaction 134
#define SYS_openat 56
#define SYS_ppoll 73
#define SYS_dup3 24
#define SYS_exit_group 94
#define SYS_pidfd_send_signal 424
#define SYS_pidfd_open 434

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}

__asm__(".text\n.global _start\n_start:\n"
        "  mov x29, #0\n  mov x30, #0\n  mov x0, sp\n  and sp, x0, #-16\n  bl start_c\n  brk #0\n");

#else
#error "pd-watchdog: unsupported architecture"
#endif

#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

struct timespec_k {
    long sec;
    long nsec;
};
struct sigaction_k {
    long handler;
    unsigned long flags;
    long restorer;
    unsigned long mask;
};
struct pollfd_k {
    int fd;
    short events;
    short revents;
};

static usize len(const char *s) {
    usize n = 0;
    while (s[n]) n++;
    return n;
}

/* One line on stderr in one write: a monitor ended half-way (its container stopping) never
 * leaves half a line in the step's log. */
static void say(const char *a, const char *b, const char *c) {
    char line[512];
    const char *parts[3] = {a, b, c};
    usize n = 0;
    for (int i = 0; i < 3; i++)
        for (const char *s = parts[i]; s && *s && n < sizeof line; s++) line[n++] = *s;
    sys3(SYS_write, 2, line, n);
}

static __attribute__((noreturn)) void quit(int code) {
    for (;;) sys1(SYS_exit_group, code);
}

static long number(const char *s) {
    long n = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        n = n * 10 + (*s - '0');
        if (n > 100000000L) return -1;
    }
    return n;
}

static void nap(long ms) {
    struct timespec_k t = {ms / 1000, (ms % 1000) * 1000000L};
    while (sys2(SYS_nanosleep, &t, &t) == -EINTR) {
    }
}

static long fork_k(void) {
    return sys5(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

/* The step's process group when it leads one (a local process started in a session of its
 * own: its children too), and the step itself. Through a pidfd when the kernel has them, so a
 * pid the system has handed to another process since is never signalled. */
static void signal_step(long step, long pidfd, int sig) {
    if (pidfd >= 0 && sys4(SYS_pidfd_send_signal, pidfd, 0, 0, 0) != 0) return; /* it ended */
    sys2(SYS_kill, -step, sig);
    if (pidfd >= 0)
        sys4(SYS_pidfd_send_signal, pidfd, sig, 0, 0);
    else
        sys2(SYS_kill, step, sig);
}

/* The monitor: a grandchild of the step's pid, adopted by init (so the step never sees an
 * extra child of its own), in a session of its own (a step's `kill 0` does not reach it). It
 * ends quietly with the step (its pidfd becomes readable). */
static __attribute__((noreturn)) void monitor(long step, long timeout_ms, long grace_ms) {
    char buf[256];
    const char *why = "the runner closed its connection";
    long pidfd = sys2(SYS_pidfd_open, step, 0);
    struct pollfd_k p[2] = {{0, POLLIN, 0}, {(int)pidfd, POLLIN, 0}};
    int n_fds = pidfd >= 0 ? 2 : 1;
    /* Its stderr may be a pipe to the dead runner (a local process): saying why must not kill it. */
    struct sigaction_k ignore = {SIG_IGN, 0, 0, 0};
    sys4(SYS_rt_sigaction, SIGPIPE, &ignore, 0, 8);
    sys1(SYS_setsid, 0);
    sys1(SYS_close, 1);
    for (;;) {
        struct timespec_k t = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
        p[0].revents = p[1].revents = 0;
        long r = sys5(SYS_ppoll, p, n_fds, &t, 0, 8);
        if (r == -EINTR) continue;
        if (r == 0) {
            why = "no heartbeat from the runner";
            break;
        }
        if (r < 0) break;
        if (n_fds == 2 && p[1].revents) quit(0); /* the step ended on its own */
        long n = sys3(SYS_read, 0, buf, sizeof buf);
        if (n == -EINTR || n == -EAGAIN) continue;
        if (n <= 0) break;
    }
    /* Said before the step is signalled: once it ends, its container stops and this goes too. */
    say("pipeline-designer: ", why, ": stopping the step (its runner is gone)\n");
    signal_step(step, pidfd, SIGTERM);
    nap(grace_ms);
    signal_step(step, pidfd, SIGKILL);
    quit(0);
}

static const char *env_value(char **envp, const char *name) {
    usize n = len(name);
    for (; *envp; envp++) {
        usize i = 0;
        while (i < n && (*envp)[i] == name[i]) i++;
        if (i == n && (*envp)[n] == '=') return *envp + n + 1;
    }
    return 0;
}

/* execvp: PROGRAM as given when it has a slash, else each PATH entry (the engine's lookup). */
static long run(char **argv, char **envp) {
    const char *prog = argv[0];
    char path[4096];
    for (const char *s = prog; *s; s++)
        if (*s == '/') return sys3(SYS_execve, prog, argv, envp);
    const char *dirs = env_value(envp, "PATH");
    if (!dirs) dirs = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    long err = -2;
    while (*dirs) {
        usize i = 0;
        while (dirs[i] && dirs[i] != ':') i++;
        usize plen = len(prog);
        if (i + 1 + plen < sizeof path) {
            usize k = 0;
            for (usize j = 0; j < i; j++) path[k++] = dirs[j];
            if (k) path[k++] = '/';
            for (usize j = 0; j <= plen; j++) path[k++] = prog[j];
            long r = sys3(SYS_execve, path, argv, envp);
            if (r != -2) err = r; /* keep the most telling error, as execvp does */
        }
        dirs += i;
        if (*dirs == ':') dirs++;
    }
    return err;
}

__attribute__((used)) void start_c(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    long timeout_ms = argc > 4 ? number(argv[1]) : -1;
    long grace_ms = argc > 4 ? number(argv[2]) : -1;
    if (timeout_ms <= 0 || grace_ms < 0 || argv[3][0] != '-' || argv[3][1] != '-' || argv[3][2]) {
        say("usage: pd-watchdog TIMEOUT_MS GRACE_MS -- PROGRAM [ARG...]\n", 0, 0);
        quit(125);
    }
    long step = sys0(SYS_getpid);
    long child = fork_k();
    if (child == 0) {
        if (fork_k() == 0) monitor(step, timeout_ms, grace_ms);
        quit(0);
    }
    if (child > 0)
        while (sys4(SYS_wait4, child, 0, 0, 0) == -EINTR) {
        }
    else
        say("pipeline-designer: cannot start the dead-man switch; the step runs without it\n", 0, 0);
    long null = sys4(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY, 0);
    if (null >= 0 && null != 0) {
        sys3(SYS_dup3, null, 0, 0);
        sys1(SYS_close, null);
    }
    long err = run(argv + 4, envp);
    say("pd-watchdog: cannot run ", argv[4], err == -2 ? ": no such file\n" : ": not executable\n");
    quit(err == -2 ? 127 : 126);
}
