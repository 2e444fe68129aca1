/* fuzz_confine.h: how the two daemon targets keep a server definition (a server.create's
 * arguments, a configuration's server entry) on this machine: only 127.0.0.1 or ::1, any
 * free port, a Unix path inside the target's temp dir (DIR/PREFIX-INDEX). */
#ifndef FUZZ_CONFINE_H
#define FUZZ_CONFINE_H

#include <stdio.h>
#include <string.h>

#include <jansson.h>

static inline void fuzz_confine_server(json_t *server,
                                       const char *dir,
                                       const char *prefix,
                                       size_t index)
{
    json_t *host = json_object_get(server, "host");
    if (json_is_string(host) && strcmp(json_string_value(host), "::1") != 0) {
        json_object_set_new(server, "host", json_string("127.0.0.1"));
    }
    if (json_is_integer(json_object_get(server, "port"))) {
        json_object_set_new(server, "port", json_integer(0));
        if (host == NULL) {
            json_object_set_new(server, "host", json_string("127.0.0.1"));
        }
    }
    if (json_is_string(json_object_get(server, "path"))) {
        char path[160];
        snprintf(path, sizeof(path), "%s/%s-%zu", dir, prefix, index);
        json_object_set_new(server, "path", json_string(path));
    }
}

#endif
