#ifndef LDMCTL_UDEVSHIM_H
#define LDMCTL_UDEVSHIM_H

/* Why libudev could not be loaded, or NULL once it is loaded. */
const char *udevshim_load_error(void);

#endif
