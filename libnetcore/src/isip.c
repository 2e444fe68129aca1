/* isip.c: net.isIP, net.isIPv4, net.isIPv6. */
#include "internal.h"

int nc_is_ip(const char *s, size_t len)
{
    if (nc_is_ipv4(s, len)) {
        return 4;
    }
    return nc_is_ipv6(s, len) ? 6 : 0;
}

bool nc_is_ipv4(const char *s, size_t len)
{
    (void)s;
    (void)len;
    return false;
}

bool nc_is_ipv6(const char *s, size_t len)
{
    (void)s;
    (void)len;
    return false;
}
