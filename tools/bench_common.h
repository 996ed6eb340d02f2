/* bench_common.h - shared by the bench_*.c helpers of tools/bench_codegen.sh:
 * clocks, the sample points, medians, reading a file. Header-only. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*BatchFn)(size_t n, const double *in, double *out);

static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall and this thread's CPU time, read together. */
typedef struct {
    double wall, cpu;
} Stamp;

static inline Stamp bench_now(void)
{
    Stamp s = {bench_clock(CLOCK_MONOTONIC), bench_clock(CLOCK_THREAD_CPUTIME_ID)};
    return s;
}

static inline Stamp bench_since(Stamp a)
{
    Stamp b = bench_now();
    Stamp d = {b.wall - a.wall, b.cpu - a.cpu};
    return d;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static inline double bench_min(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

/* The sample points: n evenly spaced midpoints of [lo, hi]. Every helper
 * uses this one definition, so "the same points" means the same doubles. */
static inline double bench_point(size_t i, size_t n, double lo, double hi)
{
    return lo + (hi - lo) * ((double)i + 0.5) / (double)n;
}

static inline double *bench_points(size_t n, double lo, double hi)
{
    double *x = malloc(n * sizeof *x);
    if (!x) {
        fprintf(stderr, "out of memory for %zu points\n", n);
        exit(2);
    }
    for (size_t i = 0; i < n; i++)
        x[i] = bench_point(i, n, lo, hi);
    return x;
}

/* A zeroed buffer, its pages touched before anything is timed. */
static inline double *bench_buffer(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory for %zu doubles\n", n);
        exit(2);
    }
    memset(p, 0, n * sizeof *p);
    return p;
}

/* |a - b| / max(|a|, |b|); 0 when both are 0 (or the same NaN/inf). */
static inline double bench_reldiff(double a, double b)
{
    if (a == b || (isnan(a) && isnan(b)))
        return 0;
    double m = fmax(fabs(a), fabs(b));
    return m > 0 ? fabs(a - b) / m : INFINITY;
}

static inline char *bench_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot read '%s': %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 1 << 16, n = 0, got;
    char *s = malloc(cap);
    while (s && (got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap)
            s = realloc(s, cap *= 2);
    }
    if (!s || ferror(f)) {
        fprintf(stderr, "cannot read '%s'\n", path);
        exit(2);
    }
    fclose(f);
    s[n] = 0;
    return s;
}

static inline size_t bench_size_arg(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end); /* accepts 1e7 */
    if (end == s || *end || errno || v < 1 || v > 1e10 || v != floor(v)) {
        fprintf(stderr, "%s: '%s' is not a positive whole number\n", what, s);
        exit(2);
    }
    return (size_t)v;
}

static inline double bench_double_arg(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) {
        fprintf(stderr, "%s: '%s' is not a number\n", what, s);
        exit(2);
    }
    return v;
}

#endif
