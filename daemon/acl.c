/* acl.c: access rights (PROTOCOL.md 9.1.3). Root and the daemon's own uid hold every
 * right; anyone else holds what the configuration's rules and the server's own access
 * rules grant, by uid or group, per right and per server or fd name. */
#include "daemon.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool grants(uint32_t mask, nb_proto_right_t right)
{
    if (mask & (1u << right)) {
        return true;
    }
    /* manage implies the three per-server rights below it. */
    return right <= NB_PROTO_RIGHT_SUBSCRIBE && (mask & (1u << NB_PROTO_RIGHT_MANAGE)) != 0;
}

static bool peer_matches(const nb_acl_rule_t *r, const nb_client_t *c)
{
    if (r->uid != NB_PROTO_UNSET) {
        return r->uid == (int64_t)c->uid;
    }
    for (int i = 0; i < c->ngroups; i++) {
        if ((int64_t)c->groups[i] == r->gid) {
            return true;
        }
    }
    return false;
}

static bool name_matches(const nb_acl_rule_t *r, const char *name)
{
    if (r->nnames == 0 || name == NULL) {
        return true;
    }
    for (size_t i = 0; i < r->nnames; i++) {
        if (fnmatch(r->names[i], name, 0) == 0) {
            return true;
        }
    }
    return false;
}

bool nb_acl_allows(const nb_daemon_t *d,
                   const nb_client_t *c,
                   nb_proto_right_t right,
                   const char *name,
                   const nb_srv_t *srv)
{
    if (right == NB_PROTO_RIGHT_NONE || c->uid == 0 || c->uid == d->self_uid) {
        return true;
    }
    for (size_t i = 0; i < d->acl.nrules; i++) {
        const nb_acl_rule_t *r = &d->acl.rules[i];
        if (grants(r->rights, right) && peer_matches(r, c) && name_matches(r, name)) {
            return true;
        }
    }
    if (srv != NULL && right <= NB_PROTO_RIGHT_MANAGE) {
        for (size_t i = 0; i < srv->naccess; i++) {
            if (grants(srv->access[i].rights, right) && peer_matches(&srv->access[i], c)) {
                return true;
            }
        }
    }
    return false;
}

void nb_acl_clear(nb_acl_t *acl)
{
    for (size_t i = 0; i < acl->nrules; i++) {
        for (size_t k = 0; k < acl->rules[i].nnames; k++) {
            free(acl->rules[i].names[k]);
        }
        free(acl->rules[i].names);
    }
    free(acl->rules);
    acl->rules = NULL;
    acl->nrules = 0;
}

static int parse_rights(const json_t *allow, uint32_t *ret, char *msg, size_t size, size_t at)
{
    size_t i;
    const json_t *v;
    uint32_t mask = 0;
    if (!json_is_array(allow) || json_array_size(allow) == 0) {
        snprintf(msg, size, "access[%zu].allow: must be a non-empty array of rights", at);
        return -EINVAL;
    }
    json_array_foreach(allow, i, v)
    {
        const char *s = json_string_value(v);
        int r = -1;
        for (int k = 0; s != NULL && k < NB_PROTO_RIGHT_NONE; k++) {
            if (strcmp(s, nb_proto_right_name((nb_proto_right_t)k)) == 0) {
                r = k;
            }
        }
        if (s != NULL && strcmp(s, "*") == 0) {
            mask |= (1u << NB_PROTO_RIGHT_NONE) - 1;
        } else if (r < 0) {
            snprintf(msg, size,
                     "access[%zu].allow[%zu]: not a right ('read', 'acquire', "
                     "'subscribe', 'manage', 'create', 'connect', 'fd', 'admin' or '*')",
                     at, i);
            return -EINVAL;
        } else {
            mask |= 1u << r;
        }
    }
    *ret = mask;
    return 0;
}

static int parse_id(const json_t *o, const char *key, int64_t *ret)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL) {
        *ret = NB_PROTO_UNSET;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4294967294LL) {
        return -EINVAL;
    }
    *ret = json_integer_value(v);
    return 1;
}

static int parse_names(const json_t *arr, nb_acl_rule_t *r, char *msg, size_t size, size_t at)
{
    if (arr == NULL) {
        return 0;
    }
    if (!json_is_array(arr)) {
        snprintf(msg, size, "access[%zu].names: must be an array of name patterns", at);
        return -EINVAL;
    }
    r->names = calloc(json_array_size(arr) + 1, sizeof(char *));
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) {
            snprintf(msg, size, "access[%zu].names[%zu]: must be a string", at, i);
            return -EINVAL;
        }
        r->names[r->nnames++] = strdup(json_string_value(v));
    }
    return 0;
}

static int parse_rule(const json_t *o, nb_acl_rule_t *r, char *msg, size_t size, size_t at)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        if (strcmp(key, "uid") != 0 && strcmp(key, "gid") != 0 && strcmp(key, "allow") != 0 &&
            strcmp(key, "names") != 0) {
            snprintf(msg, size, "access[%zu].%s: unknown key", at, key);
            return -EINVAL;
        }
    }
    int u = parse_id(o, "uid", &r->uid), g = parse_id(o, "gid", &r->gid);
    if (u < 0 || g < 0 || u + g != 1) {
        snprintf(msg, size,
                 "access[%zu]: needs exactly one of 'uid' and 'gid', each an "
                 "integer 0..4294967294",
                 at);
        return -EINVAL;
    }
    int rc = parse_rights(json_object_get(o, "allow"), &r->rights, msg, size, at);
    return rc < 0 ? rc : parse_names(json_object_get(o, "names"), r, msg, size, at);
}

int nb_acl_parse(const json_t *arr, nb_acl_t *ret, char *msg, size_t size)
{
    nb_acl_t acl = { 0 };
    if (arr == NULL) {
        *ret = acl;
        return 0;
    }
    if (!json_is_array(arr)) {
        snprintf(msg, size, "access: must be an array of rules");
        return -EINVAL;
    }
    acl.rules = calloc(json_array_size(arr) + 1, sizeof(*acl.rules));
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        acl.nrules++;
        if (!json_is_object(v) || parse_rule(v, &acl.rules[i], msg, size, i) < 0) {
            if (!json_is_object(v)) {
                snprintf(msg, size, "access[%zu]: must be an object", i);
            }
            nb_acl_clear(&acl);
            return -EINVAL;
        }
    }
    *ret = acl;
    return 0;
}
