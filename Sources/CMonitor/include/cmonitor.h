#ifndef LDMCTL_CMONITOR_H
#define LDMCTL_CMONITOR_H

/* What `ldmctl monitor` needs from C: device-mapper's event fd, and
 * signalfd (which Swift's Glibc module does not export). */
#include <signal.h>

/* Opens /dev/mapper/control for event polling: fd, or -errno. */
int dmevents_open(void);

/* Arms the control fd: poll() then reports POLLIN as soon as any
 * device-mapper event (a table event such as a RAID leg failing or a
 * resync ending, a device created, removed or renamed) happens after this
 * call. 0, or -errno (-ENOTTY: the kernel predates DM_DEV_ARM_POLL). */
int dmevents_arm(int fd);

/* A non-blocking, close-on-exec signalfd for the signals in `mask`
 * (which the caller blocks): fd, or -errno. */
int cmonitor_signalfd(const sigset_t *mask);

/* The number of the next pending signal on a signalfd, 0 when none. */
int cmonitor_next_signal(int fd);

#endif
