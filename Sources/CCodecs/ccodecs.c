#include "ccodecs.h"
int ccodecs_placeholder(void) { return 0; }
