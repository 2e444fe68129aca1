/* netbroker_netcore.h: netbrokerd as libnetcore's listen provider. A libnetcore server
 * that listens with exclusive false on the address of a broker-owned acquire-mode server
 * gets a duplicate of the broker's listening fd, as a Node cluster worker gets its
 * primary's handle; any other listen binds as usual. libnetcore and libnetbroker know
 * nothing of each other: this small library joins them (netcore.h "Listen provider"). */
#ifndef NETBROKER_NETCORE_H
#define NETBROKER_NETCORE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Installs the provider for the whole process (nc_set_listen_provider). control is the
 * daemon's control socket (NULL: nb_client_default_path at each listen), copied;
 * timeout_ms bounds each listen's conversation with the daemon (< 0: 2000 ms), which runs
 * on libuv's thread pool while the loop goes on. For each non-exclusive listen the
 * provider lists the daemon's servers and picks the first acquire-mode one whose Unix path
 * equals the listen's path, or whose port equals its port (non-zero) and whose address
 * equals its host (any address when the host is NULL), then acquires it. The answer:
 *   the acquired fd; NC_LISTEN_DECLINED when no server matches (the server binds itself);
 *   else the error, as the server's 'error' ("bind ECONNREFUSED 127.0.0.1:8080"):
 *   -ENOENT / -ECONNREFUSED / -EACCES / -ETIMEDOUT when the daemon cannot be reached,
 *   the daemon's errno-named code (EACCES when it refuses the acquire, EADDRINUSE for an
 *   exclusive server another client holds), -EPROTO for any other protocol error.
 * Returns 0, or -ENAMETOOLONG for a control path longer than a Unix socket's. */
int nb_netcore_provider_install(const char *control, int timeout_ms);
/* Uninstalls it: later listens bind themselves. */
void nb_netcore_provider_uninstall(void);

#ifdef __cplusplus
}
#endif
#endif
