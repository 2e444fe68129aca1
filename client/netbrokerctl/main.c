/* netbrokerctl: the operator's command-line tool. The protocol commands arrive with
 * issue 6; today it reports its version and the control socket it would use. */
#include "netbroker.h"

#include <stdio.h>
#include <string.h>

#define EXIT_USAGE 100

static void usage(FILE *out)
{
    fputs("Usage: netbrokerctl [--help] [--version] COMMAND\n"
          "\n"
          "Commands:\n"
          "  socket-path   print the control socket this tool connects to\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("netbrokerctl %s\n", nb_client_version());
        return 0;
    }
    if (strcmp(argv[1], "socket-path") == 0) {
        char path[4096];
        int r = nb_client_default_path(path, sizeof(path));
        if (r < 0) {
            fputs("netbrokerctl: no control socket path: set NETBROKER_SOCKET or "
                  "XDG_RUNTIME_DIR\n",
                  stderr);
            return 111;
        }
        puts(path);
        return 0;
    }
    fprintf(stderr, "netbrokerctl: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
