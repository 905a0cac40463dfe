#include "dmshim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libdevmapper.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>

/* libdevmapper ORs these into `level`; the rest is a syslog-style level
 * (3 error, 4 warning, 7 debug). */
#define DMSHIM_LEVEL_FLAGS (0x0080 | 0x0100)
#define DMSHIM_KEEP_LEVEL 4 /* keep errors and warnings */

static _Thread_local char captured[4096];
static _Thread_local size_t captured_len;
static _Thread_local int captured_errno;
static int echo_to_stderr;

static void dmshim_log(int level, const char *file, int line,
                       int dm_errno_or_class, const char *f, ...)
{
    (void)file;
    (void)line;
    int plain = level & ~DMSHIM_LEVEL_FLAGS;
    if (plain > DMSHIM_KEEP_LEVEL && plain > echo_to_stderr)
        return;

    char msg[1024];
    va_list ap;
    va_start(ap, f);
    vsnprintf(msg, sizeof msg, f, ap);
    va_end(ap);

    if (echo_to_stderr && plain <= echo_to_stderr)
        fprintf(stderr, "libdevmapper[%d]: %s\n", plain, msg);
    if (plain > DMSHIM_KEEP_LEVEL)
        return;
    /* For errors the extra argument is an errno (debug messages use it as
     * a class instead). */
    if (plain <= 3 && dm_errno_or_class > 0)
        captured_errno = dm_errno_or_class;

    size_t room = sizeof captured - captured_len;
    if (room <= 1)
        return;
    int n = snprintf(captured + captured_len, room, "%s%s",
                     captured_len ? "\n" : "", msg);
    if (n < 0)
        return;
    captured_len += (size_t)n < room ? (size_t)n : room - 1;
}

void dmshim_log_install(int echo_level)
{
    echo_to_stderr = echo_level;
    dm_log_with_errno_init(dmshim_log);
}

void dmshim_log_reset(void)
{
    captured[0] = '\0';
    captured_len = 0;
    captured_errno = 0;
}

size_t dmshim_log_copy(char *buf, size_t size)
{
    if (size == 0)
        return 0;
    size_t n = captured_len < size - 1 ? captured_len : size - 1;
    memcpy(buf, captured, n);
    buf[n] = '\0';
    return n;
}

int dmshim_log_last_errno(void)
{
    return captured_errno;
}

int dmshim_deferred_remove(const char *name)
{
    struct dm_ioctl io;
    if (strlen(name) >= sizeof(io.name))
        return -ENAMETOOLONG;
    memset(&io, 0, sizeof(io));
    io.version[0] = DM_VERSION_MAJOR;
    io.version[1] = 0;
    io.version[2] = 0;
    io.data_size = sizeof(io);
    io.flags = DM_DEFERRED_REMOVE;
    memcpy(io.name, name, strlen(name) + 1);
    int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = ioctl(fd, DM_DEV_REMOVE, &io);
    int saved = errno;
    close(fd);
    if (r < 0)
        return -saved;
    /* The kernel leaves the flag set when it only marked the device. */
    return (io.flags & DM_DEFERRED_REMOVE) ? 1 : 0;
}
