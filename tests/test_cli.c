/* test_cli.c: the native CLI (build/mvae) refuses what it cannot do with a message and exit status
 * 2: numbers that do not parse or are out of range, unknown options, wrong argument counts. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <string.h>
#include <sys/wait.h>

/* Runs `mvae ARGS` (stdout discarded); returns its exit status and the first line it printed on
 * stderr in `message`. */
static int run_cli(const char *args, char *message, size_t size) {
  char command[1024];
  snprintf(command, sizeof command, "'%s' %s 2>&1 >/dev/null", MVAE_CLI_PATH, args);
  FILE *p = popen(command, "r");
  message[0] = '\0';
  if (!p)
    return -1;
  if (!fgets(message, (int)size, p))
    message[0] = '\0';
  char rest[256];
  while (fgets(rest, sizeof rest, p)) {
  }
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void) {
  test_counts c = {0, 0};
  const char *model = "'" MVAE_SOURCE_DIR "/tests/data/flat_small.mvae'";
  static const struct {
    const char *args, *message;
  } refused[] = {
      {"sample %s -t abc", "-t (temperature) must be a number"},
      {"sample %s -t 1e999", "-t (temperature) must be a number"},
      {"sample %s -t nan", "-t (temperature) must be a number"},
      {"sample %s -t -0.5", "-t (temperature) must be a number"},
      {"sample %s -t 0.5x", "-t (temperature) must be a number"},
      {"sample %s -s -1", "-s (seed) must be an integer"},
      {"sample %s -s 18446744073709551616", "-s (seed) must be an integer"},
      {"sample %s -s ''", "-s (seed) must be an integer"},
      {"sample %s -n 0", "-n (samples) must be an integer in 1..1000"},
      {"sample %s -n 1001", "-n (samples) must be an integer in 1..1000"},
      {"sample %s -n 3x", "-n (samples) must be an integer in 1..1000"},
      {"sample %s -n 99999999999999999999", "-n (samples) must be an integer"},
      {"sample %s -n", "-n needs a value"},
      {"sample %s -x 1", "unknown option '-x'"},
      {"sample %s -j 0", "-j (threads) must be an integer in 1..64"},
      {"sample %s -j 65", "-j (threads) must be an integer in 1..64"},
      {"sample %s -j", "-j needs a value"},
      {"encode %s a b c", "encode takes 32 melody events (one per step), got 3"},
      {"encode %s", "wrong number of arguments"},
      {"encode %s 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 zero",
       "event 32 must be an integer in 0..89"},
      {"encode %s 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 90",
       "event 32 must be an integer in 0..89"},
      {"info %s extra", "wrong number of arguments for 'info'"},
      {"testvectors %s", "wrong number of arguments for 'testvectors'"},
      {"frob %s", "unknown command 'frob'"},
  };
  char args[1024], message[512];
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    snprintf(args, sizeof args, refused[i].args, model);
    int status = run_cli(args, message, sizeof message);
    EXPECT(&c, status == 2 && strstr(message, refused[i].message), "mvae %s -> %d: %s",
           refused[i].args, status, message);
  }
  snprintf(args, sizeof args, "sample %s -n 2 -t 0.5 -s 18446744073709551615", model);
  EXPECT(&c, run_cli(args, message, sizeof message) == 0, "a valid sample runs: %s", message);
  snprintf(args, sizeof args, "sample %s -n 3 -j 2", model);
  EXPECT(&c, run_cli(args, message, sizeof message) == 0, "a sample on 2 threads runs: %s",
         message);
  snprintf(args, sizeof args, "info %s", model);
  EXPECT(&c, run_cli(args, message, sizeof message) == 0, "info runs: %s", message);
  return test_report("test_cli", &c);
}
