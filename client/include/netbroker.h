/* netbroker.h: libnetbroker, the client side of netbroker's control protocol. It needs
 * only libc: any event loop can use it. */
#ifndef NETBROKER_H
#define NETBROKER_H

#include <stddef.h>

#if defined(NB_BUILDING)
#define NB_EXTERN __attribute__((visibility("default")))
#else
#define NB_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

NB_EXTERN const char *nb_client_version(void);

/* The control socket a client connects to when given none, as DESIGN.md says:
 * $NETBROKER_SOCKET if set, /run/netbroker/control.sock for root, else
 * $XDG_RUNTIME_DIR/netbroker/control.sock. Writes a NUL-terminated path into buf and
 * returns its length; -ENOSPC if it does not fit, -ENOENT if no path can be derived
 * (not root, no NETBROKER_SOCKET and no XDG_RUNTIME_DIR). */
NB_EXTERN int nb_client_default_path(char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
