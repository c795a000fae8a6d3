/*
 * Native nvidia-smi stand-in for the GPU polling design benchmark (bench/gpu-polling.ts).
 *
 *   fake-nvidia-smi --query-gpu=LIST --format=csv,noheader,nounits [-lms N]
 *
 * Both polling designs run THIS binary, so they differ only in how often a process starts:
 *  - start-up: burns BENCH_NVML_INIT_MS milliseconds of CPU (default 0) before the first poll,
 *    imitating NVML initialisation (the real cost is CPU in driver ioctls; burning CPU makes the
 *    imitation count fully, i.e. the per-poll design is NOT flattered);
 *  - per poll: prints one CSV row per GPU (BENCH_GPUS, default 8) for the fields asked for, in
 *    the shape of test/fixtures/nvidia-smi/h100x8-csv-noheader-nounits.txt; with -lms it sleeps
 *    N ms AFTER each poll (the real binary drifts the same way) until SIGTERM.
 * A native binary because nvidia-smi is one: its process start costs what a C program's does.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static volatile unsigned long sink;

static void burn(double ms) {
  double end = cpu_ms() + ms;
  while (cpu_ms() < end) {
    for (int i = 0; i < 1000; i++) sink += (unsigned long)i * 2654435761u;
  }
}

static const char *BUS[] = {"18", "2A", "3A", "5D", "9A", "AB", "BA", "DB"};

static void field(char *out, size_t cap, const char *f, int gpu, unsigned long poll) {
  int util = (int)((gpu * 37 + poll * 13) % 101);
  double power = 118.92 + (700 - 118.92) * 0.8 * util / 100.0;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  localtime_r(&now.tv_sec, &tm);
  if (!strcmp(f, "timestamp"))
    snprintf(out, cap, "%04d/%02d/%02d %02d:%02d:%02d.%03ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
  else if (!strcmp(f, "index")) snprintf(out, cap, "%d", gpu);
  else if (!strcmp(f, "uuid")) snprintf(out, cap, "GPU-04bd0c6f-e9ea-98a0-f0bc-4b224ca94d%02x", gpu);
  else if (!strcmp(f, "name")) snprintf(out, cap, "NVIDIA H100 80GB HBM3");
  else if (!strcmp(f, "pci.bus_id")) snprintf(out, cap, "00000000:%s:00.0", BUS[gpu % 8]);
  else if (!strcmp(f, "pstate")) snprintf(out, cap, "P0");
  else if (!strcmp(f, "utilization.gpu")) snprintf(out, cap, "%d", util);
  else if (!strcmp(f, "utilization.memory")) snprintf(out, cap, "%d", util * 55 / 100);
  else if (!strcmp(f, "memory.total")) snprintf(out, cap, "81559");
  else if (!strcmp(f, "memory.reserved")) snprintf(out, cap, "479");
  else if (!strcmp(f, "memory.used")) snprintf(out, cap, "73942");
  else if (!strcmp(f, "memory.free")) snprintf(out, cap, "7138");
  else if (!strcmp(f, "power.draw") || !strcmp(f, "power.draw.average") || !strcmp(f, "power.draw.instant"))
    snprintf(out, cap, "%.2f", power);
  else if (!strcmp(f, "power.limit") || !strcmp(f, "enforced.power.limit")) snprintf(out, cap, "700.00");
  else if (!strcmp(f, "temperature.gpu")) snprintf(out, cap, "%d", 33 + util / 4);
  else if (!strcmp(f, "temperature.memory")) snprintf(out, cap, "%d", 41 + util / 4);
  else if (!strcmp(f, "clocks.current.sm") || !strcmp(f, "clocks.sm")) snprintf(out, cap, "%d", util > 0 ? 1980 : 345);
  else if (!strcmp(f, "clocks.max.sm")) snprintf(out, cap, "1980");
  else if (!strcmp(f, "clocks.current.memory") || !strcmp(f, "clocks.mem")) snprintf(out, cap, "2619");
  else if (!strcmp(f, "clocks_event_reasons.active") || !strcmp(f, "clocks_throttle_reasons.active"))
    snprintf(out, cap, "0x%016X", util == 0 ? 1 : 0);
  else if (!strcmp(f, "mig.mode.current")) snprintf(out, cap, "Disabled");
  else if (!strcmp(f, "ecc.errors.uncorrected.volatile.total")) snprintf(out, cap, "0");
  else out[0] = '\0';
}

static int known(const char *f) {
  char probe[128];
  field(probe, sizeof probe, f, 0, 0);
  return probe[0] != '\0';
}

int main(int argc, char **argv) {
  char *query = NULL;
  long loop_ms = -1;
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--query-gpu=", 12)) query = argv[i] + 12;
    else if (!strncmp(argv[i], "--format=", 9)) continue;
    else if (!strcmp(argv[i], "-lms") && i + 1 < argc) loop_ms = atol(argv[++i]);
    else {
      fputs("Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n", stdout);
      return 2;
    }
  }
  if (!query) return 2;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_DFL);

  const char *init = getenv("BENCH_NVML_INIT_MS");
  if (init && atof(init) > 0) burn(atof(init));
  const char *g = getenv("BENCH_GPUS");
  int gpus = g ? atoi(g) : 8;

  char *fields[64];
  int nfields = 0;
  char *copy = strdup(query);
  for (char *tok = strtok(copy, ","); tok && nfields < 64; tok = strtok(NULL, ",")) {
    if (!known(tok)) {
      printf("Field \"%s\" is not a valid field to query.\n\n", tok);
      return 2;
    }
    fields[nfields++] = tok;
  }

  char buf[16384];
  char value[128];
  for (unsigned long poll = 0; !stop_requested; poll++) {
    size_t len = 0;
    for (int gpu = 0; gpu < gpus; gpu++) {
      for (int f = 0; f < nfields; f++) {
        field(value, sizeof value, fields[f], gpu, poll);
        len += (size_t)snprintf(buf + len, sizeof buf - len, f == 0 ? "%s" : ", %s", value);
      }
      len += (size_t)snprintf(buf + len, sizeof buf - len, "\n");
    }
    if (fwrite(buf, 1, len, stdout) != len) return 0;
    fflush(stdout);
    if (loop_ms < 0) break;
    struct timespec ts = {loop_ms / 1000, (loop_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && !stop_requested) {
    }
  }
  return 0;
}
