/* A program outside the project that uses the installed libnetcore and libnetbroker. */
#include <netbroker.h>
#include <netcore.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    const char *ip = "10.1.2.3";
    nc_blocklist_t *bl = NULL;
    if (nc_is_ip(ip, strlen(ip)) != 4 || nc_blocklist_new(&bl) != 0) {
        return 1;
    }
    int blocked = nc_blocklist_add_subnet(bl, "10.0.0.0", 8, 8, "ipv4", NULL) == 0 &&
                  nc_blocklist_check(bl, ip, strlen(ip), "ipv4", NULL) == 1;
    nc_blocklist_unref(bl);
    printf("libnetcore %s, libnetbroker %s: %s\n", nc_version_string(), nb_client_version(),
           blocked ? "ok" : "wrong");
    return blocked ? 0 : 1;
}
