#include "CHostClock.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t c_host_clock_realtime_ms(void) {
    struct timespec spec;
    // syscall(2), not clock_gettime(3): the C library's entry point is what LD_PRELOAD replaces.
    if (syscall(SYS_clock_gettime, CLOCK_REALTIME, &spec) != 0) return -1;
    return (int64_t)spec.tv_sec * 1000 + spec.tv_nsec / 1000000;
}
