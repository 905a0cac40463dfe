#ifndef LDMCTL_DMSHIM_H
#define LDMCTL_DMSHIM_H

#include <stddef.h>

/* libdevmapper reports through a printf-style variadic callback, which
 * Swift cannot implement. This shim formats each message and keeps the
 * error-level ones of the current thread, so the Swift side can attach
 * them to the error it throws. */

/* Install the capturing logger (idempotent). If `echo_level` > 0, messages
 * at or below that level are also written to stderr (debugging aid). */
void dmshim_log_install(int echo_level);

/* Forget what this thread captured so far. */
void dmshim_log_reset(void);

/* Copy this thread's captured messages, one per line, NUL-terminated, into
 * `buf` (truncated to `size`). Returns the number of bytes written without
 * the NUL. */
size_t dmshim_log_copy(char *buf, size_t size);

/* The last non-zero errno libdevmapper reported with a message on this
 * thread since the last reset, or 0. */
int dmshim_log_last_errno(void);

/* NULL once libdevmapper is loaded (see dmload.c), else why it could not be. */
const char *dmshim_load_error(void);

/* Removes the device `name` with DM_DEFERRED_REMOVE, straight through the
 * ioctl (as systemd does): libdevmapper would remove the /dev/mapper node
 * of a device that stays until its last user closes it. Returns 1 if the
 * removal was deferred (the device is open), 0 if it is gone, -errno on
 * failure. */
int dmshim_deferred_remove(const char *name);

#endif
