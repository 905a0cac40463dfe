/* See include/lazylib.h. */
#include <dlfcn.h>
#include <stdio.h>
#include "lazylib.h"

static void load_locked(struct lazy_library *lib)
{
    if (lib->tried) return;
    lib->tried = 1;
    lib->handle = dlopen(lib->soname, lib->flags);
    if (!lib->handle) {
        const char *why = dlerror();
        snprintf(lib->error, sizeof lib->error, "cannot load %s: %s", lib->what, why ? why : "unknown error");
    }
}

void *lazy_library_symbol(struct lazy_library *lib, const char *name)
{
    pthread_mutex_lock(&lib->lock);
    load_locked(lib);
    void *handle = lib->handle;
    pthread_mutex_unlock(&lib->lock);
    /* dlsym on the handle finds the library's own definition, never the
     * forwarding one of the same name. */
    return handle ? dlsym(handle, name) : NULL;
}

const char *lazy_library_error(struct lazy_library *lib)
{
    pthread_mutex_lock(&lib->lock);
    load_locked(lib);
    const char *error = lib->handle ? NULL : lib->error;
    pthread_mutex_unlock(&lib->lock);
    return error;
}
