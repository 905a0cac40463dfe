/* device-mapper's global event notification (kernel 4.14, dm ioctl 4.37):
 * one fd for every dm device, so the monitor sleeps in poll() instead of
 * holding one DM_DEV_WAIT thread per device or polling status. libdevmapper
 * has no call for it; it is one ioctl. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>
#include "cmonitor.h"

int dmevents_open(void)
{
    int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int dmevents_arm(int fd)
{
    struct dm_ioctl io;
    memset(&io, 0, sizeof io);
    io.version[0] = DM_VERSION_MAJOR;
    io.version[1] = 37;     /* the minor version that added DM_DEV_ARM_POLL */
    io.version[2] = 0;
    io.data_size = sizeof io;
    io.data_start = sizeof io;
    return ioctl(fd, DM_DEV_ARM_POLL, &io) < 0 ? -errno : 0;
}

int cmonitor_signalfd(const sigset_t *mask)
{
    int fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int cmonitor_next_signal(int fd)
{
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    return n == (ssize_t) sizeof info ? (int) info.ssi_signo : 0;
}
