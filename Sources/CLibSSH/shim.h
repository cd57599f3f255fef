#ifndef BATCHD_CLIBSSH_SHIM_H
#define BATCHD_CLIBSSH_SHIM_H

/* The server API (ssh_bind, ssh_set_server_callbacks, ...) is declared only
 * under WITH_SERVER, and a system-library target cannot pass -D. */
#ifndef WITH_SERVER
#define WITH_SERVER 1
#endif

#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/callbacks.h>

/* The event loops wait on their sessions' sockets with epoll; Swift's Glibc
 * module does not include it. */
#ifdef __linux__
#include <sys/epoll.h>
#endif

/* ssh_callbacks_init is a macro that stamps the struct's size; Swift cannot
 * call macros, so these wrappers do it once per struct type. */
static inline void batchd_init_server_callbacks(struct ssh_server_callbacks_struct *cb) {
    ssh_callbacks_init(cb);
}

static inline void batchd_init_channel_callbacks(struct ssh_channel_callbacks_struct *cb) {
    ssh_callbacks_init(cb);
}

#endif
