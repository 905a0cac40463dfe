/* libdevmapper, loaded on first use.
 *
 * Most ldmctl runs (scan, show, table, and udev probes) never talk to
 * device-mapper. Linking libdevmapper would make every one of them load it
 * and its dependencies (libselinux, libudev, libpcre2...) at start-up:
 * about 1 ms and 900 KiB of resident memory per run. Instead the functions
 * ldmctl uses are defined here with libdevmapper's own prototypes and
 * forward to the real ones, resolved with dlopen the first time any is
 * called. If the library cannot be loaded the call fails as libdevmapper
 * would (NULL or 0) with errno ENOSYS, and dmshim_load_error() says why. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <libdevmapper.h>
#include "dmshim.h"

static void *library;
static char load_error[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
    /* The soname Debian's libdevmapper1.02.1 ships. */
    library = dlopen("libdevmapper.so.1.02.1", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load libdevmapper: %s", why ? why : "unknown error");
    }
}

static void *resolve(const char *name)
{
    pthread_once(&load_once, load);
    if (!library) return NULL;
    /* dlsym on the handle finds libdevmapper's own definition, never these. */
    return dlsym(library, name);
}

const char *dmshim_load_error(void)
{
    pthread_once(&load_once, load);
    return library ? NULL : load_error;
}

#define FORWARD(ret, name, params, args, failure)                 \
    ret name params                                               \
    {                                                             \
        static ret (*real) params;                                \
        if (!real) real = (ret (*) params) resolve(#name);        \
        if (!real) { errno = ENOSYS; return failure; }            \
        return real args;                                         \
    }

#define FORWARD_VOID(name, params, args)                          \
    void name params                                              \
    {                                                             \
        static void (*real) params;                               \
        if (!real) real = (void (*) params) resolve(#name);       \
        if (real) real args;                                      \
    }

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
