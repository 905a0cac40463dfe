/* A shared library loaded on first use.
 *
 * ldmctl links neither libdevmapper nor libudev: most runs, above all the
 * udev probe that runs once per block device event, need neither, and
 * linking them would load them (and their dependencies) at every start.
 * Instead each shim (CDeviceMapperShim, CUdevShim) defines the functions
 * it uses with the library's own prototypes, forwarding to the real ones
 * through LAZY_FORWARD, which resolves them with dlopen/dlsym the first
 * time any is called. If the library cannot be loaded a call fails as the
 * library would (the given failure value) with errno ENOSYS, and
 * lazy_library_error() says why, with dlerror()'s reason. */
#ifndef LDMCTL_LAZYLIB_H
#define LDMCTL_LAZYLIB_H

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

struct lazy_library {
    const char *soname;   /* e.g. "libudev.so.1" */
    const char *what;     /* for messages: "libudev" */
    int flags;            /* dlopen flags */
    pthread_mutex_t lock;
    int tried;
    void *handle;
    char error[256];
};

#define LAZY_LIBRARY(soname, what, flags) { (soname), (what), (flags), PTHREAD_MUTEX_INITIALIZER, 0, NULL, "" }

/* The symbol from the library (loaded on the first call), or NULL. */
void *lazy_library_symbol(struct lazy_library *lib, const char *name);
/* NULL if the library is loaded, else why it could not be. */
const char *lazy_library_error(struct lazy_library *lib);

/* Defines `name` with the library's prototype, forwarding to the real one. */
#define LAZY_FORWARD(lib, ret, name, params, args, failure)                  \
    ret name params                                                          \
    {                                                                        \
        static ret (*real) params;                                           \
        if (!real) real = (ret (*) params) lazy_library_symbol((lib), #name); \
        if (!real) { errno = ENOSYS; return failure; }                       \
        return real args;                                                    \
    }

#define LAZY_FORWARD_VOID(lib, name, params, args)                           \
    void name params                                                         \
    {                                                                        \
        static void (*real) params;                                          \
        if (!real) real = (void (*) params) lazy_library_symbol((lib), #name); \
        if (real) real args;                                                 \
    }

#endif
