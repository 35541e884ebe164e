// SPDX-License-Identifier: GPL-3.0-or-later
//
// Runs a command the way src/core/exec.ts asks for (argv, no shell; its own session and process group; stdin
// from the input or /dev/null; stdout and stderr kept up to a cap; the group killed at the timeout), with the
// process started by posix_spawn from a thread of its own instead of by Node's child_process.
//
// Why: libuv's uv_spawn is a plain fork(). Forking the daemon (~55 MB resident) cost ~3 ms of its main thread
// per command in a profile of the bench's latency section, and afterwards every page the daemon wrote again
// first took a fault, on the next ban's path too (docs/performance.md). glibc's posix_spawn clones with
// CLONE_VM | CLONE_VFORK: no page tables are copied and only the calling thread, this one, waits for the exec.
//
// The thread owns everything it opens; the result reaches JavaScript through a thread-safe function that is
// released once, which also keeps the event loop alive while the command runs, as a child process would.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

// What execvp searches when the environment has no PATH (glibc's default).
#define DEFAULT_PATH "/bin:/usr/bin"
// After the group is killed at the timeout, how long pipes still held by a process that left the group are
// read before the result is given without them.
#define GRACE_MS 1000
#define READ_CHUNK 65536

typedef struct {
  char *data;
  size_t len, cap;
} buf_t;

typedef struct {
  char *file;
  char **argv;
  char **envp;
  char *input;
  size_t input_len;
  int has_input;
  long timeout_ms;
  size_t max_output;
  // Results: `error` is the errno of a start that failed (then nothing ran), else the wait status.
  int error;
  int status;
  int timed_out;
  buf_t out, err;
  napi_threadsafe_function tsfn;
  napi_deferred deferred;
} job_t;

static void free_strings(char **list) {
  if (list == NULL) return;
  for (char **p = list; *p != NULL; p++) free(*p);
  free(list);
}

static void free_job(job_t *j) {
  free(j->file);
  free_strings(j->argv);
  free_strings(j->envp);
  free(j->input);
  free(j->out.data);
  free(j->err.data);
  free(j);
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int close_quietly(int fd) {
  if (fd >= 0) close(fd);
  return -1;
}

// The program execvp would run for `file`: `file` itself when it names a path, else the first regular,
// executable file of that name in the environment's PATH. Sets errno (ENOENT, or EACCES where only files that
// cannot be run were found) and returns NULL when there is none. The result is `file` or malloc'd.
static char *resolve(const char *file, char **envp) {
  if (strchr(file, '/') != NULL) return (char *)file;
  const char *path = DEFAULT_PATH;
  for (char **e = envp; *e != NULL; e++) {
    if (strncmp(*e, "PATH=", 5) == 0) { path = *e + 5; break; }
  }
  int denied = 0;
  size_t flen = strlen(file);
  for (const char *p = path;; ) {
    const char *end = strchr(p, ':');
    size_t dlen = end == NULL ? strlen(p) : (size_t)(end - p);
    // An empty entry is the working directory, as for execvp.
    char *candidate = malloc(dlen + flen + 3);
    if (candidate == NULL) { errno = ENOMEM; return NULL; }
    if (dlen == 0) { candidate[0] = '.'; dlen = 1; } else { memcpy(candidate, p, dlen); }
    candidate[dlen] = '/';
    memcpy(candidate + dlen + 1, file, flen + 1);
    struct stat st;
    if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(candidate, X_OK) == 0) return candidate;
      denied = 1;
    }
    free(candidate);
    if (end == NULL) break;
    p = end + 1;
  }
  errno = denied ? EACCES : ENOENT;
  return NULL;
}

// Reads what `fd` has into `b` (up to `cap` bytes kept, the rest read and dropped). Returns 0 at end of file
// or on an error, 1 while the pipe stays open.
static int drain(int fd, buf_t *b, size_t cap) {
  char chunk[READ_CHUNK];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n > 0) {
      size_t keep = b->len >= cap ? 0 : ((size_t)n < cap - b->len ? (size_t)n : cap - b->len);
      if (keep > 0 && b->len + keep > b->cap) {
        // Doubling: a listing of 100,000 bans is several megabytes.
        size_t want = b->cap == 0 ? READ_CHUNK : b->cap;
        while (want < b->len + keep) want *= 2;
        char *grown = realloc(b->data, want);
        if (grown == NULL) return 0;
        b->data = grown;
        b->cap = want;
      }
      if (keep > 0) {
        memcpy(b->data + b->len, chunk, keep);
        b->len += keep;
      }
      continue;
    }
    if (n == 0) return 0;
    if (errno == EINTR) continue;
    return errno == EAGAIN ? 1 : 0;
  }
}

static int spawn_child(job_t *j, const char *path, int in_fd, int out_fd, int err_fd, pid_t *pid) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc != 0) return rc;
  rc = posix_spawnattr_init(&at);
  if (rc != 0) { posix_spawn_file_actions_destroy(&fa); return rc; }
  if (in_fd >= 0) rc = posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
  else rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  // Nothing else of the daemon's reaches the command, whether or not it was opened close-on-exec.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  // Node ignores SIGPIPE, and an ignored signal stays ignored across exec: every signal goes back to its
  // default, none is blocked, as libuv does for a child.
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&at, &all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&at, &none);
  if (rc == 0) rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  if (rc == 0) rc = posix_spawn(pid, path, &fa, &at, j->argv, j->envp);
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}

static void run_job(job_t *j) {
  char *path = resolve(j->file, j->envp);
  if (path == NULL) { j->error = errno; return; }
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if ((j->has_input && pipe2(in, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    j->error = errno;
    close_quietly(in[0]); close_quietly(in[1]); close_quietly(out[0]); close_quietly(out[1]);
    close_quietly(err[0]); close_quietly(err[1]);
    if (path != j->file) free(path);
    return;
  }
  pid_t pid = 0;
  int rc = spawn_child(j, path, in[0], out[1], err[1], &pid);
  if (path != j->file) free(path);
  in[0] = close_quietly(in[0]);
  out[1] = close_quietly(out[1]);
  err[1] = close_quietly(err[1]);
  if (rc != 0) {
    j->error = rc;
    close_quietly(in[1]); close_quietly(out[0]); close_quietly(err[0]);
    return;
  }
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  if (in[1] >= 0) fcntl(in[1], F_SETFL, O_NONBLOCK);
  // The child's exit as a readable descriptor (Linux 5.3 and later); without one, exits are polled for.
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  size_t written = 0;
  if (j->has_input && j->input_len == 0) in[1] = close_quietly(in[1]);
  int exited = 0, killed = 0, lost = 0;
  long deadline = now_ms() + j->timeout_ms;
  while (out[0] >= 0 || err[0] >= 0 || !exited) {
    long left = deadline - now_ms();
    if (left <= 0) {
      if (killed) {
        // The command is dead; what still holds its pipes left its group: give the result without it.
        if (exited) break;
        left = 50;
      } else {
        kill(-pid, SIGKILL);
        killed = 1;
        j->timed_out = 1;
        deadline = now_ms() + GRACE_MS;
        left = GRACE_MS;
      }
    }
    struct pollfd fds[4];
    int n = 0, at_out = -1, at_err = -1, at_in = -1;
    if (out[0] >= 0) { at_out = n; fds[n].fd = out[0]; fds[n].events = POLLIN; n++; }
    if (err[0] >= 0) { at_err = n; fds[n].fd = err[0]; fds[n].events = POLLIN; n++; }
    if (in[1] >= 0) { at_in = n; fds[n].fd = in[1]; fds[n].events = POLLOUT; n++; }
    if (!exited && pidfd >= 0) { fds[n].fd = pidfd; fds[n].events = POLLIN; n++; }
    int wait = (int)(left > 60000 ? 60000 : left);
    if (!exited && pidfd < 0 && wait > 10) wait = 10;
    for (int k = 0; k < n; k++) fds[k].revents = 0;
    if (poll(fds, (nfds_t)n, wait) < 0 && errno != EINTR) { j->error = errno; break; }
    if (at_out >= 0 && fds[at_out].revents != 0 && !drain(out[0], &j->out, j->max_output)) out[0] = close_quietly(out[0]);
    if (at_err >= 0 && fds[at_err].revents != 0 && !drain(err[0], &j->err, j->max_output)) err[0] = close_quietly(err[0]);
    if (at_in >= 0 && fds[at_in].revents != 0) {
      // A command that exits without reading its input closes the pipe: EPIPE (SIGPIPE is ignored in Node).
      for (;;) {
        ssize_t w = write(in[1], j->input + written, j->input_len - written);
        if (w > 0) { written += (size_t)w; if (written == j->input_len) break; continue; }
        if (w < 0 && errno == EINTR) continue;
        break;
      }
      if (written == j->input_len || (errno != EAGAIN && errno != EINTR)) in[1] = close_quietly(in[1]);
    }
    if (!exited) {
      pid_t w;
      do w = waitpid(pid, &j->status, WNOHANG); while (w < 0 && errno == EINTR);
      if (w == pid) exited = 1;
      // Reaped elsewhere (nothing in the daemon waits for pids it did not start): its status is unknown.
      if (w < 0) { exited = 1; lost = 1; }
    }
  }
  if (!exited) {
    // Left the loop on an error: the command is not left running unwatched, and its status is not made up.
    kill(-pid, SIGKILL);
    pid_t w;
    do w = waitpid(pid, &j->status, 0); while (w < 0 && errno == EINTR);
  }
  close_quietly(in[1]);
  close_quietly(out[0]);
  close_quietly(err[0]);
  close_quietly(pidfd);
  if (lost) j->error = ECHILD;
}

static void *thread_main(void *arg) {
  job_t *j = arg;
  run_job(j);
  // `deliver` frees the job on the main thread, possibly before the call below returns: the handle is read first.
  napi_threadsafe_function tsfn = j->tsfn;
  // Fails only when the environment is being torn down, with the process: the job is then left to its end.
  napi_call_threadsafe_function(tsfn, j, napi_tsfn_blocking);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  return NULL;
}

static napi_value make_buffer(napi_env env, const buf_t *b) {
  napi_value v;
  if (napi_create_buffer_copy(env, b->len, b->len > 0 ? b->data : "", NULL, &v) != napi_ok) return NULL;
  return v;
}

static void set_int(napi_env env, napi_value o, const char *key, int value) {
  napi_value v;
  if (napi_create_int32(env, value, &v) == napi_ok) napi_set_named_property(env, o, key, v);
}

// On the main thread: the job's result as { error } or { exitCode | signal, stdout, stderr, timedOut }.
static void deliver(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  (void)context;
  job_t *j = data;
  if (env == NULL) { free_job(j); return; }
  napi_value result;
  napi_create_object(env, &result);
  if (j->error != 0) {
    set_int(env, result, "error", j->error);
  } else {
    if (WIFSIGNALED(j->status)) set_int(env, result, "signal", WTERMSIG(j->status));
    else set_int(env, result, "exitCode", WEXITSTATUS(j->status));
    napi_value out = make_buffer(env, &j->out), err = make_buffer(env, &j->err), timed;
    if (out != NULL) napi_set_named_property(env, result, "stdout", out);
    if (err != NULL) napi_set_named_property(env, result, "stderr", err);
    napi_get_boolean(env, j->timed_out != 0, &timed);
    napi_set_named_property(env, result, "timedOut", timed);
  }
  napi_resolve_deferred(env, j->deferred, result);
  free_job(j);
}

static char *string_of(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) return NULL;
  if (napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) { free(s); return NULL; }
  return s;
}

// The daemon's own environment, copied on the main thread (the one that would change it).
static char **copy_environ(void) {
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char **list = calloc(n + 1, sizeof(char *));
  if (list == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    if ((list[i] = strdup(environ[i])) == NULL) { free_strings(list); return NULL; }
  }
  return list;
}

static char **strings_of(napi_env env, napi_value array) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) return NULL;
  char **list = calloc((size_t)n + 1, sizeof(char *));
  if (list == NULL) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    if (napi_get_element(env, array, i, &item) != napi_ok || (list[i] = string_of(env, item)) == NULL) {
      free_strings(list);
      return NULL;
    }
  }
  return list;
}

// spawn(file, argv, env | undefined, input | undefined, timeoutMs, maxOutput) → Promise. The caller (exec.ts) has
// checked the arguments: strings without NUL, argv starting with the program's name.
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 6) { napi_throw_type_error(env, NULL, "spawn takes 6 arguments"); return NULL; }
  job_t *j = calloc(1, sizeof(job_t));
  if (j == NULL) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  j->file = string_of(env, args[0]);
  j->argv = strings_of(env, args[1]);
  napi_valuetype env_type;
  napi_typeof(env, args[2], &env_type);
  // Undefined: the daemon's own. Read from JavaScript, process.env took ~0.1 ms of the main thread a command.
  j->envp = env_type == napi_undefined ? copy_environ() : strings_of(env, args[2]);
  napi_valuetype input_type;
  napi_typeof(env, args[3], &input_type);
  if (input_type != napi_undefined) {
    void *data = NULL;
    size_t len = 0;
    if (napi_get_buffer_info(env, args[3], &data, &len) != napi_ok) {
      free_job(j);
      napi_throw_type_error(env, NULL, "input must be a Buffer");
      return NULL;
    }
    j->input = malloc(len > 0 ? len : 1);
    if (j->input != NULL && len > 0) memcpy(j->input, data, len);
    j->input_len = len;
    j->has_input = 1;
  }
  int64_t timeout = 0, cap = 0;
  napi_get_value_int64(env, args[4], &timeout);
  napi_get_value_int64(env, args[5], &cap);
  j->timeout_ms = timeout > 0 ? (long)timeout : 1;
  j->max_output = cap > 0 ? (size_t)cap : 0;
  if (j->file == NULL || j->argv == NULL || j->envp == NULL || (j->has_input && j->input == NULL)) {
    free_job(j);
    napi_throw_error(env, NULL, "cannot take the command's arguments");
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "dictdefence:spawn", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, deliver, &j->tsfn) != napi_ok) {
    napi_value e;
    napi_create_string_utf8(env, "cannot create the spawn's callback", NAPI_AUTO_LENGTH, &e);
    napi_reject_deferred(env, j->deferred, e);
    free_job(j);
    return promise;
  }
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  int rc = pthread_create(&thread, &attr, thread_main, j);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    napi_release_threadsafe_function(j->tsfn, napi_tsfn_abort);
    j->error = rc;
    deliver(env, NULL, NULL, j);
  }
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, js_spawn, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
