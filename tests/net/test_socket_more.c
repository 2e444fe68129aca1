#include "nethelp.h"
int main(void){return 0;}
