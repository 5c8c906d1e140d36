/* exit_with N: exits with status N at once (the stress test's child). */
#include <stdlib.h>
int main(int argc, char **argv) { return argc > 1 ? atoi(argv[1]) : 0; }
