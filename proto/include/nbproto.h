/* nbproto.h: constants of netbroker's control protocol (proto/PROTOCOL.md, issue 4). */
#ifndef NBPROTO_H
#define NBPROTO_H

#define NB_PROTO_VERSION        1
#define NB_PROTO_LINE_MAX       (64 * 1024)
#define NB_PROTO_FDS_MAX        16
#define NB_PROTO_SOCKET_NAME    "control.sock"
#define NB_PROTO_SYSTEM_RUNDIR  "/run/netbroker"

#endif
