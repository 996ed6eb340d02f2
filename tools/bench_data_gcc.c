/* bench_data_gcc.c - the gcc -O2 counterpart of `symgrad EXPR --data CSV`,
 * for tools/bench_codegen.sh: reads the CSV, calls the emitted BATCH (the
 * file symgrad --data compiles, built here by gcc and linked in) a block of
 * rows at a time, and writes the same CSV (header value,dVAR...; %.17g).
 *
 *   bench_data_gcc CSV VAR...      VAR... the emitted file's parameters in
 *                                  order (symgrad: alphabetical), each also
 *                                  a --wrt variable; CSV '-' = stdin
 *   bench_data_gcc --gen N VAR...  write a CSV of N rows of pseudo-random
 *                                  points in [-3, 3] (fixed seed, %.10g)
 *
 * Build: gcc -O2 -DBATCH=sg_batch tools/bench_data_gcc.c sg.c -lm
 * Exit 0 on success, 2 on a malformed file or an error.
 */
#include "bench_common.h"

#include <stdint.h>

#define BLOCK 4096
#define MAXCOLS 64

#ifdef BATCH
void BATCH(size_t n, const double *in, double *out);
#endif

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static double rng_uniform(void) /* splitmix64 -> [0, 1) */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-53;
}

static int gen(size_t n, int nvars, char **vars)
{
    for (int v = 0; v < nvars; v++)
        printf(v + 1 < nvars ? "%s," : "%s\n", vars[v]);
    for (size_t i = 0; i < n; i++)
        for (int v = 0; v < nvars; v++)
            printf(v + 1 < nvars ? "%.10g," : "%.10g\n", -3 + 6 * rng_uniform());
    return fflush(stdout) ? 2 : 0;
}

/* Split line at commas in place; the field count. */
static size_t split(char *line, char **fields)
{
    size_t n = 0;
    for (char *p = line;;) {
        if (n < MAXCOLS)
            fields[n] = p;
        n++;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = 0;
    }
    return n;
}

static void write_block(const double *vals, size_t rows, size_t width)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < width; k++)
            printf(k + 1 < width ? "%.17g," : "%.17g\n", vals[r * width + k]);
}

static int run(const char *path, int nvars, char **vars)
{
#ifndef BATCH
    (void)path, (void)nvars, (void)vars;
    fprintf(stderr, "bench_data_gcc: built without -DBATCH=NAME_batch\n");
    return 2;
#else
    FILE *in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!in) {
        fprintf(stderr, "bench_data_gcc: cannot read '%s': %s\n", path, strerror(errno));
        return 2;
    }
    char *line = NULL, *fields[MAXCOLS];
    size_t cap = 0, width = 1 + (size_t)nvars, rows = 0, lineno = 1;
    ssize_t len = getline(&line, &cap, in);
    if (len < 0) {
        fprintf(stderr, "bench_data_gcc: %s: empty\n", path);
        return 2;
    }
    line[strcspn(line, "\r\n")] = 0;
    size_t ncols = split(line, fields), column[MAXCOLS];
    if (ncols > MAXCOLS) {
        fprintf(stderr, "bench_data_gcc: %s: too many columns\n", path);
        return 2;
    }
    for (int v = 0; v < nvars; v++) {
        column[v] = (size_t)-1;
        for (size_t c = 0; c < ncols; c++)
            if (!strcmp(fields[c], vars[v]))
                column[v] = c;
        if (column[v] == (size_t)-1) {
            fprintf(stderr, "bench_data_gcc: %s: no column '%s'\n", path, vars[v]);
            return 2;
        }
    }
    double *pts = malloc(BLOCK * (size_t)nvars * sizeof *pts);
    double *vals = malloc(BLOCK * width * sizeof *vals);
    printf("value");
    for (int v = 0; v < nvars; v++)
        printf(",d%s", vars[v]);
    printf("\n");
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!*line)
            continue;
        if (split(line, fields) != ncols) {
            fprintf(stderr, "bench_data_gcc: %s:%zu: wrong field count\n", path, lineno);
            return 2;
        }
        for (int v = 0; v < nvars; v++) {
            char *s = fields[column[v]], *end;
            double x = strtod(s, &end);
            if (end == s || *end) {
                fprintf(stderr, "bench_data_gcc: %s:%zu: '%s' is not a number\n", path, lineno,
                        s);
                return 2;
            }
            pts[rows * (size_t)nvars + (size_t)v] = x;
        }
        if (++rows == BLOCK) {
            BATCH(rows, pts, vals);
            write_block(vals, rows, width);
            rows = 0;
        }
    }
    if (rows) {
        BATCH(rows, pts, vals);
        write_block(vals, rows, width);
    }
    if (ferror(in)) {
        fprintf(stderr, "bench_data_gcc: cannot read '%s'\n", path);
        return 2;
    }
    if (in != stdin)
        fclose(in);
    free(line), free(pts), free(vals);
    return fflush(stdout) ? 2 : 0;
#endif
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "--gen")) {
        if (argc - 3 > MAXCOLS)
            return 2;
        return gen(bench_size_arg(argv[2], "N"), argc - 3, argv + 3);
    }
    if (argc >= 3 && argc - 2 <= MAXCOLS)
        return run(argv[1], argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_data_gcc CSV VAR...\n       bench_data_gcc --gen N VAR...\n");
    return 2;
}
