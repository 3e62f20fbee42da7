/* bench/relay.py in C: the floor of any process between an editor and a tool's server,
   where relay.py is the floor of a Python one. The editor's bytes go to the child's stdin and
   the child's stdout to ours, in one poll() loop; nothing is parsed.
   bench/diagnostics.py --floor compiles it with cc into its temporary folder.

       relay ruff server */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
static int copy(int from, int to) {
  char buf[1 << 16];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return -1;
  for (ssize_t off = 0; off < n;) { ssize_t w = write(to, buf + off, n - off); if (w < 0) return -1; off += w; }
  return 0;
}
int main(int argc, char **argv) {
  int in[2], out[2];
  pipe(in); pipe(out);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0); dup2(out[1], 1); close(in[1]); close(out[0]);
    execvp(argv[1], argv + 1); _exit(127);
  }
  close(in[0]); close(out[1]);
  struct pollfd fds[2] = {{0, POLLIN, 0}, {out[0], POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) break;
    if (fds[0].revents & (POLLIN | POLLHUP)) { if (copy(0, in[1]) < 0) { close(in[1]); fds[0].fd = -1; } }
    if (fds[1].revents & (POLLIN | POLLHUP)) { if (copy(out[0], 1) < 0) break; }
  }
  waitpid(pid, NULL, 0);
  return 0;
}
