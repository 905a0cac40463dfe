/* libdevmapper, loaded on first use (see Sources/CLazyLibrary/include/lazylib.h).
 *
 * Most ldmctl runs (scan, show, table, and udev probes) never talk to
 * device-mapper; linking libdevmapper would load it and its dependencies
 * (libselinux, libudev, libpcre2...) at every start: about 1 ms and
 * 900 KiB of resident memory per run. */
#include <stdint.h>
#include <libdevmapper.h>
#include "dmshim.h"
#include "lazylib.h"

/* The soname Debian's libdevmapper1.02.1 ships. */
static struct lazy_library libdevmapper = LAZY_LIBRARY("libdevmapper.so.1.02.1", "libdevmapper", RTLD_NOW | RTLD_GLOBAL);

const char *dmshim_load_error(void)
{
    return lazy_library_error(&libdevmapper);
}

#define FORWARD(...) LAZY_FORWARD(&libdevmapper, __VA_ARGS__)
#define FORWARD_VOID(...) LAZY_FORWARD_VOID(&libdevmapper, __VA_ARGS__)

FORWARD(struct dm_task *, dm_task_create, (int type), (type), NULL)
FORWARD_VOID(dm_task_destroy, (struct dm_task *dmt), (dmt))
FORWARD(int, dm_task_set_name, (struct dm_task *dmt, const char *name), (dmt, name), 0)
FORWARD(int, dm_task_set_uuid, (struct dm_task *dmt, const char *uuid), (dmt, uuid), 0)
FORWARD(int, dm_task_set_ro, (struct dm_task *dmt), (dmt), 0)
FORWARD(int, dm_task_set_cookie, (struct dm_task *dmt, uint32_t *cookie, uint16_t flags), (dmt, cookie, flags), 0)
FORWARD(int, dm_task_add_target,
        (struct dm_task *dmt, uint64_t start, uint64_t size, const char *ttype, const char *params),
        (dmt, start, size, ttype, params), 0)
FORWARD(int, dm_task_run, (struct dm_task *dmt), (dmt), 0)
FORWARD(int, dm_task_get_errno, (struct dm_task *dmt), (dmt), 0)
FORWARD(const char *, dm_task_get_name, (const struct dm_task *dmt), (dmt), NULL)
FORWARD(const char *, dm_task_get_uuid, (const struct dm_task *dmt), (dmt), NULL)
FORWARD(struct dm_names *, dm_task_get_names, (struct dm_task *dmt), (dmt), NULL)
FORWARD(int, dm_task_get_info, (struct dm_task *dmt, struct dm_info *dmi), (dmt, dmi), 0)
FORWARD(struct dm_deps *, dm_task_get_deps, (struct dm_task *dmt), (dmt), NULL)
FORWARD(void *, dm_get_next_target,
        (struct dm_task *dmt, void *next, uint64_t *start, uint64_t *length, char **target_type, char **params),
        (dmt, next, start, length, target_type, params), NULL)
FORWARD(int, dm_udev_wait, (uint32_t cookie), (cookie), 0)
FORWARD(int, dm_udev_wait_immediate, (uint32_t cookie, int *ready), (cookie, ready), 0)
FORWARD_VOID(dm_udev_set_sync_support, (int sync_with_udev), (sync_with_udev))
FORWARD(int, dm_udev_get_sync_support, (void), (), 0)
FORWARD(int, dm_udev_complete, (uint32_t cookie), (cookie), 0)
FORWARD(int, dm_set_name_mangling_mode, (dm_string_mangling_t mode), (mode), 0)
FORWARD_VOID(dm_log_with_errno_init, (dm_log_with_errno_fn fn), (fn))
