/* libudev, loaded on first use (see Sources/CLazyLibrary/include/lazylib.h).
 *
 * Only the commands that enumerate the system's disks or watch for
 * changes (scan/show/table/activate without DEVICE arguments, monitor)
 * need libudev. */
#include <sys/types.h>
#include <libudev.h>
#include "udevshim.h"
#include "lazylib.h"

/* The soname of libudev1 since systemd 183. */
static struct lazy_library libudev = LAZY_LIBRARY("libudev.so.1", "libudev", RTLD_NOW | RTLD_LOCAL);

const char *udevshim_load_error(void)
{
    return lazy_library_error(&libudev);
}

#define FORWARD(...) LAZY_FORWARD(&libudev, __VA_ARGS__)

FORWARD(struct udev *, udev_new, (void), (), NULL)
FORWARD(struct udev *, udev_unref, (struct udev *u), (u), NULL)

FORWARD(struct udev_list_entry *, udev_list_entry_get_next, (struct udev_list_entry *e), (e), NULL)
FORWARD(const char *, udev_list_entry_get_name, (struct udev_list_entry *e), (e), NULL)

FORWARD(struct udev_enumerate *, udev_enumerate_new, (struct udev *u), (u), NULL)
FORWARD(struct udev_enumerate *, udev_enumerate_unref, (struct udev_enumerate *e), (e), NULL)
FORWARD(int, udev_enumerate_add_match_subsystem, (struct udev_enumerate *e, const char *s), (e, s), -ENOSYS)
FORWARD(int, udev_enumerate_scan_devices, (struct udev_enumerate *e), (e), -ENOSYS)
FORWARD(struct udev_list_entry *, udev_enumerate_get_list_entry, (struct udev_enumerate *e), (e), NULL)

FORWARD(struct udev_device *, udev_device_new_from_syspath, (struct udev *u, const char *p), (u, p), NULL)
FORWARD(struct udev_device *, udev_device_unref, (struct udev_device *d), (d), NULL)
FORWARD(const char *, udev_device_get_devnode, (struct udev_device *d), (d), NULL)
FORWARD(const char *, udev_device_get_sysname, (struct udev_device *d), (d), NULL)
FORWARD(const char *, udev_device_get_devtype, (struct udev_device *d), (d), NULL)
FORWARD(const char *, udev_device_get_action, (struct udev_device *d), (d), NULL)
FORWARD(dev_t, udev_device_get_devnum, (struct udev_device *d), (d), 0)
FORWARD(int, udev_device_get_is_initialized, (struct udev_device *d), (d), -ENOSYS)
FORWARD(const char *, udev_device_get_property_value, (struct udev_device *d, const char *k), (d, k), NULL)
FORWARD(const char *, udev_device_get_sysattr_value, (struct udev_device *d, const char *a), (d, a), NULL)

FORWARD(struct udev_monitor *, udev_monitor_new_from_netlink, (struct udev *u, const char *n), (u, n), NULL)
FORWARD(struct udev_monitor *, udev_monitor_unref, (struct udev_monitor *m), (m), NULL)
FORWARD(int, udev_monitor_filter_add_match_subsystem_devtype,
        (struct udev_monitor *m, const char *s, const char *t), (m, s, t), -ENOSYS)
FORWARD(int, udev_monitor_enable_receiving, (struct udev_monitor *m), (m), -ENOSYS)
FORWARD(int, udev_monitor_set_receive_buffer_size, (struct udev_monitor *m, int size), (m, size), -ENOSYS)
FORWARD(int, udev_monitor_get_fd, (struct udev_monitor *m), (m), -ENOSYS)
FORWARD(struct udev_device *, udev_monitor_receive_device, (struct udev_monitor *m), (m), NULL)

FORWARD(struct udev_queue *, udev_queue_new, (struct udev *u), (u), NULL)
FORWARD(struct udev_queue *, udev_queue_unref, (struct udev_queue *q), (q), NULL)
FORWARD(int, udev_queue_get_udev_is_active, (struct udev_queue *q), (q), 0)
FORWARD(int, udev_queue_get_queue_is_empty, (struct udev_queue *q), (q), 0)
