/* Load generator for the runtime benches, in C so that it, not Node, sets the pace:
 *   storm exec N WORKERS      N fork+exec of /bin/true spread over WORKERS processes
 *   storm open N FILE RATE    N open+close of FILE, paced at RATE opens/s (0 = flat out)
 * Prints the seconds it took. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  if (argc < 4) return 64;
  long n = atol(argv[2]);
  double t0 = now();
  if (strcmp(argv[1], "open") == 0) {
    double rate = argc > 4 ? atof(argv[4]) : 0;
    for (long i = 0; i < n; i++) {
      int fd = open(argv[3], O_RDONLY);
      if (fd >= 0) close(fd);
      if (rate > 0 && (i & 255) == 0) {
        double ahead = t0 + i / rate - now();
        if (ahead > 0) { struct timespec s = { 0, (long)(ahead * 1e9) }; nanosleep(&s, 0); }
      }
    }
  } else {
    int workers = atoi(argv[3]);
    for (int w = 0; w < workers; w++) {
      if (fork() == 0) {
        for (long i = w; i < n; i += workers) {
          pid_t p = fork();
          if (p == 0) { execl("/bin/true", "true", (char *)0); _exit(127); }
          waitpid(p, 0, 0);
        }
        _exit(0);
      }
    }
    while (wait(0) > 0) {}
  }
  printf("%.6f\n", now() - t0);
  return 0;
}
