/* SPDX-License-Identifier: MIT */
/* replay.c: the driver that makes a fuzz target a test of `make check` without libFuzzer: it runs
 * LLVMFuzzerTestOneInput over every file of the target's seed corpus (fuzz/corpus/NAME) and of its
 * regressions (fuzz/regressions/NAME: each input that ever crashed it), or over the files and
 * folders named on its command line. A crash or a failed invariant aborts it; a missing corpus
 * fails it, so a test that replays nothing cannot pass. */
#include "fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FUZZ_NAME
#error "FUZZ_NAME (the target's name) must be defined"
#endif
#ifndef FUZZ_SRCDIR
#error "FUZZ_SRCDIR (the source tree) must be defined"
#endif

/* Runs the target over one file. Returns 0, or -1 if it cannot be read. */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL, *exact = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;

    if (!f) {
        fprintf(stderr, "replay %s: cannot open %s: %s\n", FUZZ_NAME, path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            uint8_t *nbuf = realloc(buf, ncap);
            if (!nbuf)
                goto out;
            buf = nbuf;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "replay %s: cannot read %s\n", FUZZ_NAME, path);
        goto out;
    }
    /* an exact-size copy, so ASan sees a read past the input's end */
    if (!(exact = malloc(len ? len : 1)))
        goto out;
    memcpy(exact, buf, len);
    LLVMFuzzerTestOneInput(exact, len);
    rc = 0;
out:
    free(exact);
    free(buf);
    fclose(f);
    return rc;
}

/* Runs the target over a file, or over every regular file of a folder. Out: *count grows by the
 * number of inputs run. Returns 0, or -1 on a file or folder that cannot be read. */
static int run_path(const char *path, unsigned *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay %s: %s: %s\n", FUZZ_NAME, path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (run_file(path) != 0)
            return -1;
        ++*count;
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay %s: cannot open %s: %s\n", FUZZ_NAME, path, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char file[4096];
        if ((size_t)snprintf(file, sizeof file, "%s/%s", path, de->d_name) >= sizeof file) {
            rc = -1;
            break;
        }
        if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = run_file(file);
            if (rc == 0)
                ++*count;
        }
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (run_path(argv[i], &count) != 0)
                return 1;
    } else {
        if (run_path(FUZZ_SRCDIR "/fuzz/corpus/" FUZZ_NAME, &count) != 0)
            return 1;
        struct stat st;
        const char *regressions = FUZZ_SRCDIR "/fuzz/regressions/" FUZZ_NAME;
        if (stat(regressions, &st) == 0 && run_path(regressions, &count) != 0)
            return 1;
    }
    if (count == 0) {
        fprintf(stderr, "replay %s: no input to replay\n", FUZZ_NAME);
        return 1;
    }
    printf("replay %s: %u inputs, no crash\n", FUZZ_NAME, count);
    return 0;
}
