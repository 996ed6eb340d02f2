/* data.c - many points from a CSV through the JIT-compiled batch function of
 * the emitted file: rows are read, evaluated and written a block at a time,
 * so a file larger than memory streams through. */
#define _DEFAULT_SOURCE /* getc_unlocked */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

#define BLOCK 4096 /* points per call of the batch function */

typedef void (*BatchFn)(size_t n, const double *in, double *out);

/* One line of the file, without its newline; NULL at the end. */
static char *next_line(FILE *f, char **buf, size_t *cap)
{
    size_t n = 0;
    int c;
    while ((c = getc_unlocked(f)) != EOF && c != '\n') { /* one reader: no lock */
        if (n + 1 >= *cap)
            *buf = sg_realloc(*buf, *cap = *cap ? *cap * 2 : 256);
        (*buf)[n++] = (char)c;
    }
    if (c == EOF && n == 0)
        return NULL;
    if (!*buf)
        *buf = sg_realloc(NULL, *cap = 256);
    if (n && (*buf)[n - 1] == '\r')
        n--;
    (*buf)[n] = 0;
    return *buf;
}

/* Split line at commas in place; returns the field count (at most max). */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    for (char *p = line;; p++) {
        if (n < max)
            fields[n] = p;
        n++;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = 0;
    }
    return n;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = 0;
    return s;
}

/* column[i] = the CSV column holding variable i, from the header. */
static int map_header(char *line, const Query *q, size_t *column, size_t *ncols,
                      const char *path, SgError *err)
{
    char *fields[1024];
    size_t n = split(line, fields, 1024);
    if (n > 1024) {
        sg_error_set(err, 1, 0, "%s:1: more than 1024 columns", path);
        return 0;
    }
    for (size_t i = 0; i < q->nvars; i++)
        column[i] = (size_t)-1;
    for (size_t c = 0; c < n; c++) {
        char *name = trim(fields[c]);
        size_t i = 0;
        while (i < q->nvars && strcmp(q->vars[i]->name, name))
            i++;
        if (i == q->nvars) {
            sg_error_set(err, 1, 0, "%s:1: column '%s' is not a variable of the expression",
                         path, name);
            return 0;
        }
        if (column[i] != (size_t)-1) {
            sg_error_set(err, 1, 0, "%s:1: column '%s' appears twice", path, name);
            return 0;
        }
        column[i] = c;
    }
    for (size_t i = 0; i < q->nvars; i++)
        if (column[i] == (size_t)-1) {
            sg_error_set(err, 1, 0, "%s:1: no column for the variable '%s'", path,
                         q->vars[i]->name);
            return 0;
        }
    *ncols = n;
    return 1;
}

static void write_block(FILE *out, const double *vals, size_t rows, size_t width)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < width; k++)
            fprintf(out, k + 1 < width ? "%.17g," : "%.17g\n", vals[r * width + k]);
}

int data_run(const Query *q, void *batch, FILE *in, FILE *out, const char *path,
             SgError *err)
{
    BatchFn fn = (BatchFn)batch;
    size_t cap = 0, ncols = 0, width = 1 + q->nwrt, line_no = 1, rows = 0;
    char *buf = NULL, *fields[1024];
    size_t *column = calloc(q->nvars + 1, sizeof *column);
    double *pts = malloc((q->nvars + 1) * BLOCK * sizeof *pts);
    double *vals = malloc(width * BLOCK * sizeof *vals);
    int ok = 0;
    char *line = next_line(in, &buf, &cap);
    if (!line) {
        sg_error_set(err, 0, 0, "%s: empty: the first line must name the variables", path);
        goto done;
    }
    if (!map_header(line, q, column, &ncols, path, err))
        goto done;
    fprintf(out, "value");
    for (size_t i = 0; i < q->nwrt; i++)
        if (q->order == 1)
            fprintf(out, ",d%s", q->wrt[i]->name);
        else
            fprintf(out, ",d%d%s", q->order, q->wrt[i]->name);
    fprintf(out, "\n");
    while ((line = next_line(in, &buf, &cap))) {
        line_no++;
        if (!*trim(line))
            continue;
        size_t n = split(line, fields, 1024);
        if (n != ncols) {
            sg_error_set(err, 0, 0, "%s:%zu: %zu field%s where the header has %zu", path,
                         line_no, n, n == 1 ? "" : "s", ncols);
            goto done;
        }
        for (size_t i = 0; i < q->nvars; i++) {
            char *s = trim(fields[column[i]]), *end;
            errno = 0;
            double v = strtod(s, &end);
            if (end == s || *end || (errno == ERANGE && isinf(v))) {
                sg_error_set(err, 0, 0, "%s:%zu: '%s' is not a number (column '%s')", path,
                             line_no, s, q->vars[i]->name);
                goto done;
            }
            pts[rows * q->nvars + i] = v;
        }
        if (++rows == BLOCK) {
            fn(rows, pts, vals);
            write_block(out, vals, rows, width);
            rows = 0;
        }
    }
    fn(rows, pts, vals);
    write_block(out, vals, rows, width);
    if (ferror(in)) {
        sg_error_set(err, 0, 0, "cannot read '%s': %s", path, strerror(errno));
        goto done;
    }
    ok = 1;
done:
    free(buf);
    free(column);
    free(pts);
    free(vals);
    return ok;
}
