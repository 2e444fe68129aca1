/* rules.c: blocklist rules as an operator types them: "1.2.3.4" (address),
 * "10.0.0.1-10.0.0.9" (range), "10.0.0.0/8" or "2001:db8::/32" (subnet). The daemon
 * validates the addresses; this only splits the text. */
#include "ctl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

json_t *ctl_rule_parse(const char *text)
{
    const char *slash = strchr(text, '/');
    const char *dash = strchr(text, '-');
    long long prefix;

    if (slash != NULL) {
        if (!ctl_parse_int(slash + 1, 0, 128, &prefix)) {
            ctl_fail(0, "rule '%s': the prefix after '/' must be 0..128", text);
            return NULL;
        }
        return json_pack("{s:s, s:s%, s:I}", "kind", "subnet", "net", text, (size_t)(slash - text),
                         "prefix", (json_int_t)prefix);
    }
    if (dash != NULL) {
        return json_pack("{s:s, s:s%, s:s}", "kind", "range", "start", text, (size_t)(dash - text),
                         "end", dash + 1);
    }
    if (*text == '\0') {
        ctl_fail(0, "empty rule");
        return NULL;
    }
    return json_pack("{s:s, s:s}", "kind", "address", "address", text);
}

/* A string member, or "?" when it is absent (the daemon always sends them). */
static const char *member(const json_t *rule, const char *key)
{
    const char *s = json_string_value(json_object_get(rule, key));
    return s != NULL ? s : "?";
}

const char *ctl_rule_text(const json_t *rule, char *buf, size_t size)
{
    const char *kind = member(rule, "kind");
    const char *t = member(rule, "type");

    if (strcmp(kind, "range") == 0) {
        snprintf(buf, size, "%s-%s (%s)", member(rule, "start"), member(rule, "end"), t);
    } else if (strcmp(kind, "subnet") == 0) {
        snprintf(buf, size, "%s/%lld (%s)", member(rule, "net"),
                 (long long)json_integer_value(json_object_get(rule, "prefix")), t);
    } else {
        snprintf(buf, size, "%s (%s)", member(rule, "address"), t);
    }
    return buf;
}
