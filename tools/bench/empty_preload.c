/* An empty shared library: `forkless-bench startup --floor-lib` preloads it
   to measure what preloading any library at all costs a short program (the
   dynamic loader's open, map and relocation), the floor under
   libforkless.so's own start-up cost. */
int forkless_bench_empty_preload(void) { return 0; }
