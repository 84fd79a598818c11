/* SPDX-License-Identifier: MIT */
/* test_exposure.c: what conclaved exposes beyond what it must. A development node asked to listen
 * beyond this machine refuses before it writes anything (only the refusal is tried: accepting would
 * listen on every interface); and a .cookie symlink planted in a data directory is replaced by the
 * new cookie, its target left alone. Waiting is on pidfds and the node's output, never a sleep. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

static char dir[] = "/tmp/conclave-it-XXXXXX";
static th_node node;

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
}

static void teardown(void)
{
    th_node_cleanup(&node);
    th_rmtree(dir);
}

TestSuite(integration_exposure, .init = setup, .fini = teardown, .timeout = 60);

/* Runs conclaved with args (NULL-terminated) and its standard error into err_path; waits (20 s at
 * most) for it to exit. Returns: its exit code, -1 if it did not exit by itself. */
static int run_conclaved(const char *const args[], const char *err_path)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork");
    if (pid == 0) {
        const char *argv[16] = { "conclaved" };
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(err, STDERR_FILENO);
        th_exec(TEST_BUILDDIR "/conclaved", argv);
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    cr_assert_geq(pidfd, 0, "pidfd_open");
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    bool exited = poll(&p, 1, 20000) == 1;
    if (!exited)
        kill(pid, SIGKILL);
    close(pidfd);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid, "reaped");
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(integration_exposure, a_dev_node_refuses_to_listen_beyond_this_machine_without_the_flag)
{
    static const char *const binds[] = { "0.0.0.0:0", "[::]:0" };
    char datadir[96], err_path[96];
    snprintf(datadir, sizeof datadir, "%s/data", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++) {
        const char *const args[] = { "--dev", "--datadir", datadir, "--rpc-bind", binds[i], NULL };
        cr_assert_eq(run_conclaved(args, err_path), 2, "--dev --rpc-bind %s is refused with exit code 2", binds[i]);
        char *err = th_read_file(err_path, NULL);
        cr_assert(err && strstr(err, "--allow-public-dev") && strstr(err, binds[i]), "it says why: %s", err);
        free(err);
        struct stat st;
        cr_assert_neq(stat(datadir, &st), 0, "nothing was written: %s does not exist", datadir);
    }
}

Test(integration_exposure, a_planted_cookie_symlink_is_replaced_and_its_target_left_alone)
{
    char victim[96], link[300];
    th_node *n = &node;
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(n->datadir, sizeof n->datadir, "%s/data", dir);
    cr_assert_eq(mkdir(n->datadir, 0700), 0, "data directory");
    FILE *f = fopen(victim, "w");
    cr_assert(f && fputs("precious\n", f) >= 0 && fclose(f) == 0, "the victim file");
    snprintf(link, sizeof link, "%s/.cookie", n->datadir);
    cr_assert_eq(symlink(victim, link), 0, "plant %s -> %s", link, victim);

    th_node_start(n, true);
    char *kept = th_read_file(victim, NULL);
    cr_assert_str_eq(kept, "precious\n", "the symlink's target is untouched");
    free(kept);
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0, "lstat .cookie");
    cr_assert(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600, ".cookie is a regular file of mode 0600: %o",
              (unsigned)st.st_mode);
    cr_assert_eq(strlen(n->token), 64, "and holds the token");
    cJSON *r = th_call(n, "admin_advanceTime", "{\"seconds\":1}");
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(r, "result"), "the token opens admin methods: %s",
                       cJSON_PrintUnformatted(r));
    cJSON_Delete(r);
    th_node_stop(n, SIGTERM);
}
