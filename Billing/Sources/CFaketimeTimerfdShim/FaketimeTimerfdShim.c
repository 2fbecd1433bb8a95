// A preload for the fault harness's clock faults, loaded before libfaketime
// (LD_PRELOAD=libFaketimeTimerfdShim.so:libfaketimeMT.so.1).
//
// libfaketime 0.9.10 shifts the deadline of every absolute timerfd_settime by the faked offset,
// whatever clock the timerfd counts (wolfcw/libfaketime#378): it never sees the clock the timerfd
// was created with. libdispatch arms its CLOCK_MONOTONIC and CLOCK_BOOTTIME timers that way, so
// under an offset stepped back one hour every Task.sleep stops firing for an hour, which no real
// step of the wall clock does (settimeofday moves neither clock). This remembers each timerfd's
// clock and hands the timers of those two clocks straight to the kernel; wall-clock timerfds
// still go through libfaketime.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "FaketimeTimerfdShim.h"

enum { TRACKED_DESCRIPTORS = 65536 };
// 1 for a timerfd of a wall clock (CLOCK_REALTIME, CLOCK_REALTIME_ALARM). A descriptor is created
// before any thread can use it, so the flag is set before it is read.
static unsigned char countsWallClock[TRACKED_DESCRIPTORS];

static int isWallClockTimer(int fd) { return fd >= 0 && fd < TRACKED_DESCRIPTORS && countsWallClock[fd]; }

int timerfd_create(int clockid, int flags) {
    int fd = (int)syscall(SYS_timerfd_create, clockid, flags);
    if (fd >= 0 && fd < TRACKED_DESCRIPTORS) {
        countsWallClock[fd] = clockid == CLOCK_REALTIME || clockid == CLOCK_REALTIME_ALARM;
    }
    return fd;
}

int timerfd_settime(int fd, int flags, const struct itimerspec *value, struct itimerspec *old) {
    if (isWallClockTimer(fd)) {
        int (*next)(int, int, const struct itimerspec *, struct itimerspec *) = dlsym(RTLD_NEXT, "timerfd_settime");
        if (next) return next(fd, flags, value, old);
    }
    return (int)syscall(SYS_timerfd_settime, fd, flags, value, old);
}

int timerfd_gettime(int fd, struct itimerspec *current) {
    if (isWallClockTimer(fd)) {
        int (*next)(int, struct itimerspec *) = dlsym(RTLD_NEXT, "timerfd_gettime");
        if (next) return next(fd, current);
    }
    return (int)syscall(SYS_timerfd_gettime, fd, current);
}
