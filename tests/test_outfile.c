/*
 * tests/test_outfile.c - core/outfile: atomic replace of regular files, special
 * files written in place, "-" as stdout, temporary files that never follow a
 * symlink and never outlive a failure, stale temporary files of dead
 * processes.  Each test works in its own fresh directory under $TMPDIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/outfile.h"
#include "core/status.h"

static char dir[4096];

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/nasw-outfile.XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

/* Remove dir and what it holds (one level of subdirectories is enough here). */
static void rm_tree(const char *d)
{
    DIR *dd = opendir(d);
    struct dirent *e;
    char p[8192];
    while (dd && (e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rm_tree(p);
        else unlink(p);
    }
    if (dd) closedir(dd);
    rmdir(d);
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(dir);
    return 0;
}

static const char *in_dir(const char *name)
{
    static char p[4][8192];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* Entries of dir (without . and ..); the names of those ending in ".tmp"
 * are counted in *tmps. */
static int entries(int *tmps)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    *tmps = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".tmp")) (*tmps)++;
    }
    closedir(d);
    return n;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void assert_content(const char *path, const char *want)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, want);
}

static void test_new_file_atomic(void **state)
{
    (void)state;
    const char *target = in_dir("out.csv");
    struct outfile *o;
    assert_int_equal(outfile_open(&o, target), NASW_OK);
    assert_true(outfile_is_atomic(o));
    /* until the commit the target does not exist: only a temporary file,
     * in the same directory, under another name */
    const char *tp = outfile_write_path(o);
    assert_string_not_equal(tp, target);
    assert_memory_equal(tp, target, strlen(dir) + 1);
    int tmps, n = entries(&tmps);
    assert_int_equal(n, 1);
    assert_int_equal(tmps, 1);
    assert_int_equal(access(target, F_OK), -1);
    fputs("a,b\n1,2\n", outfile_stream(o));
    assert_int_equal(outfile_commit(o), NASW_OK);
    assert_content(target, "a,b\n1,2\n");
    n = entries(&tmps);
    assert_int_equal(n, 1);
    assert_int_equal(tmps, 0);
}

static void test_replace_keeps_mode_abort_keeps_old(void **state)
{
    (void)state;
    const char *target = in_dir("out.csv");
    write_file(target, "old\n");
    assert_int_equal(chmod(target, 0640), 0);
    struct outfile *o;
    assert_int_equal(outfile_open(&o, target), NASW_OK);
    fputs("half", outfile_stream(o));
    outfile_abort(o);
    assert_content(target, "old\n");
    int tmps;
    assert_int_equal(entries(&tmps), 1);
    assert_int_equal(tmps, 0);

    assert_int_equal(outfile_open(&o, target), NASW_OK);
    fputs("new\n", outfile_stream(o));
    assert_int_equal(outfile_commit(o), NASW_OK);
    assert_content(target, "new\n");
    struct stat st;
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    outfile_abort(NULL);
}

static void test_dev_null_in_place(void **state)
{
    (void)state;
    struct outfile *o;
    assert_int_equal(outfile_open(&o, "/dev/null"), NASW_OK);
    assert_false(outfile_is_atomic(o));
    assert_string_equal(outfile_write_path(o), "/dev/null");
    fputs("discarded\n", outfile_stream(o));
    assert_int_equal(outfile_commit(o), NASW_OK);
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* no temporary file was tried next to it either */
    assert_int_equal(access("/dev/null.tmp", F_OK), -1);
}

static void test_dev_full_fails_naming_target(void **state)
{
    (void)state;
    struct outfile *o;
    if (access("/dev/full", W_OK) != 0) skip();
    assert_int_equal(outfile_open(&o, "/dev/full"), NASW_OK);
    FILE *f = outfile_stream(o);
    for (int i = 0; i < 2000; i++) fputs("0123456789abcdef0123456789abcdef\n", f);
    assert_int_equal(outfile_commit(o), NASW_EIO);
    assert_string_equal(nasw_errmsg(), "cannot write '/dev/full': No space left on device");
    struct stat st;
    assert_int_equal(stat("/dev/full", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
}

static void test_fifo_in_place(void **state)
{
    (void)state;
    const char *fifo = in_dir("pipe");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the reader: copy the FIFO to the pipe */
        close(p[0]);
        int fd = open(fifo, O_RDONLY);
        char buf[256];
        ssize_t n;
        while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
            if (write(p[1], buf, (size_t)n) != n) _exit(1);
        _exit(fd >= 0 ? 0 : 1);
    }
    close(p[1]);
    struct outfile *o;
    assert_int_equal(outfile_open(&o, fifo), NASW_OK);
    assert_false(outfile_is_atomic(o));
    fputs("through the pipe\n", outfile_stream(o));
    assert_int_equal(outfile_commit(o), NASW_OK);
    char buf[256] = "";
    ssize_t n, got = 0;
    while ((n = read(p[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0) got += n;
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    buf[got] = '\0';
    assert_string_equal(buf, "through the pipe\n");
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

static void test_stdout(void **state)
{
    (void)state;
    struct outfile *o;
    assert_int_equal(outfile_open(&o, "-"), NASW_OK);
    assert_ptr_equal(outfile_stream(o), stdout);
    assert_false(outfile_is_atomic(o));
    assert_string_equal(outfile_write_path(o), "-");
    assert_int_equal(outfile_commit(o), NASW_OK);
    /* stdout stays open */
    assert_true(fputs("", stdout) >= 0);
    assert_int_equal(fflush(stdout), 0);
}

static void test_symlinks(void **state)
{
    (void)state;
    /* a symlink planted at the old predictable temporary name is not
     * followed (nor touched) */
    const char *target = in_dir("run.jsonl"), *victim = in_dir("victim");
    write_file(victim, "precious\n");
    assert_int_equal(symlink(victim, in_dir("run.jsonl.tmp")), 0);
    struct outfile *o;
    assert_int_equal(outfile_open(&o, target), NASW_OK);
    fputs("{}\n", outfile_stream(o));
    assert_int_equal(outfile_commit(o), NASW_OK);
    assert_content(victim, "precious\n");
    struct stat st;
    assert_int_equal(lstat(in_dir("run.jsonl.tmp"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_content(target, "{}\n");

    /* a link to a regular file: the file is replaced, the link kept */
    assert_int_equal(symlink("victim", in_dir("link")), 0);
    assert_int_equal(outfile_open(&o, in_dir("link")), NASW_OK);
    fputs("replaced\n", outfile_stream(o));
    assert_int_equal(outfile_commit(o), NASW_OK);
    assert_int_equal(lstat(in_dir("link"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_content(victim, "replaced\n");

    /* a dangling link is refused, nothing is created */
    assert_int_equal(symlink("nowhere", in_dir("dangling")), 0);
    assert_int_equal(outfile_open(&o, in_dir("dangling")), NASW_EIO);
    assert_null(o);
    assert_non_null(strstr(nasw_errmsg(), "dangling symbolic link"));
    assert_int_equal(access(in_dir("nowhere"), F_OK), -1);
}

static void test_rename_failure_removes_temp(void **state)
{
    (void)state;
    const char *target = in_dir("out.csv");
    struct outfile *o;
    assert_int_equal(outfile_open(&o, target), NASW_OK);
    fputs("x\n", outfile_stream(o));
    /* the target becomes a non-empty directory before the commit */
    assert_int_equal(mkdir(target, 0700), 0);
    write_file(in_dir("out.csv/keep"), "k\n");
    assert_int_equal(outfile_commit(o), NASW_EIO);
    char want[8300];
    snprintf(want, sizeof want, "cannot write '%s': ", target);
    assert_memory_equal(nasw_errmsg(), want, strlen(want));
    assert_null(strstr(nasw_errmsg(), ".tmp"));
    int tmps;
    assert_int_equal(entries(&tmps), 1);
    assert_int_equal(tmps, 0);
    assert_content(in_dir("out.csv/keep"), "k\n");
}

static void test_refused_targets(void **state)
{
    (void)state;
    struct outfile *o;
    assert_int_equal(outfile_open(&o, dir), NASW_EIO);
    assert_null(o);
    char want[8300];
    snprintf(want, sizeof want, "cannot write '%s': Is a directory", dir);
    assert_string_equal(nasw_errmsg(), want);
    const char *missing = in_dir("no/such.csv");
    assert_int_equal(outfile_open(&o, missing), NASW_EIO);
    snprintf(want, sizeof want, "cannot write '%s': No such file or directory", missing);
    assert_string_equal(nasw_errmsg(), want);
    assert_int_equal(outfile_open(&o, ""), NASW_EIO);
    int tmps;
    assert_int_equal(entries(&tmps), 0);
}

static void test_stale_temps(void **state)
{
    (void)state;
    /* pid 999999999 exceeds any pid_max (4194304): that process is gone */
    char alive[256];
    snprintf(alive, sizeof alive, "out.csv.%ld.0123abcd.tmp", (long)getppid());
    write_file(in_dir("out.csv.999999999.0123abcd.tmp"), "stale\n");
    write_file(in_dir(alive), "another process is writing\n");
    write_file(in_dir("other.csv.999999999.0123abcd.tmp"), "not this target's\n");
    write_file(in_dir("out.csv.999999999.notahex.tmp"), "not our name\n");
    assert_int_equal(symlink("/etc/passwd", in_dir("out.csv.999999998.0123abcd.tmp")), 0);
    struct outfile *o;
    assert_int_equal(outfile_open(&o, in_dir("out.csv")), NASW_OK);
    assert_int_equal(access(in_dir("out.csv.999999999.0123abcd.tmp"), F_OK), -1);
    assert_int_equal(access(in_dir(alive), F_OK), 0);
    assert_int_equal(access(in_dir("other.csv.999999999.0123abcd.tmp"), F_OK), 0);
    assert_int_equal(access(in_dir("out.csv.999999999.notahex.tmp"), F_OK), 0);
    struct stat st;
    assert_int_equal(lstat(in_dir("out.csv.999999998.0123abcd.tmp"), &st), 0);
    assert_int_equal(outfile_commit(o), NASW_OK);
    assert_int_equal(outfile_remove_stale(in_dir("other.csv")), 1);
}

static void test_remove_temps(void **state)
{
    (void)state;
    struct outfile *o;
    assert_int_equal(outfile_open(&o, in_dir("a.csv")), NASW_OK);
    char tmp[8300];
    snprintf(tmp, sizeof tmp, "%s", outfile_write_path(o));
    /* a forked child (gnuplot before exec) leaves its parent's files alone */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        outfile_remove_temps();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(access(tmp, F_OK), 0);
    /* what a SIGTERM handler does */
    outfile_remove_temps();
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(outfile_commit(o), NASW_EIO);
    char want[8300];
    snprintf(want, sizeof want, "cannot write '%s': ", in_dir("a.csv"));
    assert_memory_equal(nasw_errmsg(), want, strlen(want));
    assert_int_equal(access(in_dir("a.csv"), F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_file_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_keeps_mode_abort_keeps_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dev_null_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dev_full_fails_naming_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_failure_removes_temp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_temps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
