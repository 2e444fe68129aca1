/* checkrules.c: `netbrokerd --check-rules FILE ADDRESS`, blocklist.check without a daemon:
 * the rules validated with proto's `rule` schema and answered by libnetcore's BlockList,
 * the very code the running daemon uses, so that netbrokerctl (which may not link
 * libnetcore) can test rules offline by running it. */
#include "daemon.h"

#include <stdio.h>
#include <string.h>

#include "netcore.h"

/* Exit statuses, netbrokerctl's: the answer is printed, or the file or address is bad. */
#define CHECK_EXIT_OK    0
#define CHECK_EXIT_USAGE 100

/* One JSON document on stdout: the answer, or {"error":{"code","message"}}. */
static int put(json_t *doc, int status)
{
    json_dumpf(doc, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(doc);
    return status;
}

/* "rules file 'FILE': why", or the message alone when file is NULL. */
static int fail(const char *code, const char *file, const char *why)
{
    char msg[NB_PROTO_ERROR_MESSAGE_MAX + 512];
    if (file != NULL) {
        snprintf(msg, sizeof(msg), "rules file '%s': %s", file, why);
    } else {
        snprintf(msg, sizeof(msg), "%s", why);
    }
    return put(json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg),
               CHECK_EXIT_USAGE);
}

/* The rules: the file is a JSON array of rules, or a configuration whose "blocklist"
 * member is one (none: no rules), so that a configuration can be tried before reload. */
static int load_rules(const char *file, json_t **ret_doc, json_t **ret_rules)
{
    json_error_t jerr;
    json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        char where[300];
        if (jerr.line > 0) {
            snprintf(where, sizeof(where), "line %d: %s", jerr.line, jerr.text);
        } else {
            snprintf(where, sizeof(where), "%s", jerr.text); /* "unable to open ..." */
        }
        return fail("ERR_CONFIG", file, where);
    }
    json_t *rules = json_is_object(doc) ? json_object_get(doc, "blocklist") : doc;
    if (json_is_object(doc) && rules == NULL) {
        rules = json_array();
        json_object_set_new(doc, "blocklist", rules);
    }
    if (!json_is_array(rules)) {
        json_decref(doc);
        return fail("ERR_CONFIG", file,
                    "must be an array of rules or an object with a \"blocklist\" array");
    }
    *ret_doc = doc;
    *ret_rules = rules;
    return CHECK_EXIT_OK;
}

int nb_check_rules(const char *file, const char *address)
{
    json_t *doc = NULL, *rules = NULL, *listed;
    nc_blocklist_t *bl;
    char msg[NB_PROTO_ERROR_MESSAGE_MAX];
    int family = nc_is_ip(address, strlen(address));
    if (family == 0) {
        char why[300];
        snprintf(why, sizeof(why), "'%.256s' is not an IP address", address);
        return fail("ERR_INVALID_ARG_VALUE", NULL, why);
    }
    int r = load_rules(file, &doc, &rules);
    if (r != CHECK_EXIT_OK) {
        return r;
    }
    if (nb_blocklist_build(rules, &bl, &listed, msg, sizeof(msg)) < 0) {
        json_decref(doc);
        return fail("ERR_CONFIG", file, msg);
    }
    /* As the daemon's blocklist.check: the address's own family. */
    const char *type = family == 6 ? "ipv6" : "ipv4";
    bool hit = nc_blocklist_check(bl, address, strlen(address), type, NULL) == 1;
    json_t *res = json_pack("{s:b}", "blocked", hit);
    json_t *rule = hit ? nb_blocklist_first_match(listed, address, type) : NULL;
    if (rule != NULL) {
        json_object_set(res, "rule", rule);
    }
    nc_blocklist_unref(bl);
    json_decref(listed);
    json_decref(doc);
    return put(res, CHECK_EXIT_OK);
}
