/* blocklist.c: net.BlockList. */
#include "internal.h"
