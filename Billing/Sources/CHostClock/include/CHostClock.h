#ifndef C_HOST_CLOCK_H
#define C_HOST_CLOCK_H

#include <stdint.h>

/// The kernel's CLOCK_REALTIME in milliseconds since 1970, read by a system call rather than
/// through the C library, so that a preloaded time-faking library (libfaketime, which the fault
/// suite uses to skew and step a node's clock) cannot change it. -1 if the call fails.
int64_t c_host_clock_realtime_ms(void);

#endif
