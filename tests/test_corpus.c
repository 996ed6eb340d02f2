/* test_corpus.c - the reference corpus (corpus_derivs.tsv: expression,
 * variable, order, point, expected value computed independently of symgrad).
 * Each row is differentiated `order` times and evaluated through the JIT and
 * through the interpreter; every row must agree to 1e-9 relative (1e-12
 * absolute near 0). One Check test per row. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define CORPUS SG_TEST_DIR "/corpus_derivs.tsv"

typedef struct {
    int lineno;
    char *expr, *var, *point;
    int order;
    double want;
} Row;

static Row *rows;
static int nrows;
static char load_error[256];

/* Split line at tabs (in place) into exactly n fields; 0 if the count differs. */
static int split_tabs(char *line, char **fields, int n)
{
    int k = 0;
    fields[k++] = line;
    for (char *p = line; *p; p++) {
        if (*p != '\t')
            continue;
        if (k == n)
            return 0;
        *p = 0;
        fields[k++] = p + 1;
    }
    return k == n;
}

static int load(void)
{
    FILE *f = fopen(CORPUS, "r");
    if (!f) {
        snprintf(load_error, sizeof load_error, "cannot open %s", CORPUS);
        return 0;
    }
    char line[4096];
    int cap = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        char *fld[5], *end;
        if (!split_tabs(line, fld, 5)) {
            snprintf(load_error, sizeof load_error, "line %d: not 5 tab-separated fields",
                     lineno);
            fclose(f);
            return 0;
        }
        if (nrows == cap) {
            cap = cap ? cap * 2 : 256;
            rows = realloc(rows, (size_t)cap * sizeof *rows);
        }
        Row *r = &rows[nrows++];
        r->lineno = lineno;
        r->expr = strdup(fld[0]);
        r->var = strdup(fld[1]);
        r->order = (int)strtol(fld[2], &end, 10);
        int bad = *end || r->order < 0;
        r->point = strdup(fld[3]);
        r->want = strtod(fld[4], &end);
        if (bad || *end) {
            snprintf(load_error, sizeof load_error, "line %d: bad order or value", lineno);
            fclose(f);
            return 0;
        }
    }
    fclose(f);
    if (!nrows)
        snprintf(load_error, sizeof load_error, "%s has no rows", CORPUS);
    return nrows > 0;
}

START_TEST(t_row)
{
    const Row *r = &rows[_i];
    SgCtx *ctx = sg_new();
    Expr *d = tu_deriv(ctx, tu_parse(ctx, r->expr), r->var, r->order);
    Point pt;
    tu_point(ctx, r->point, &pt);
    char what[512];
    snprintf(what, sizeof what, "line %d: d^%d/d%s^%d %s at %s, JIT", r->lineno, r->order,
             r->var, r->order, r->expr, r->point);
    tu_check_close(what, tu_jit_eval(d, &pt), r->want, 1e-9, 1e-12);
    snprintf(what, sizeof what, "line %d: d^%d/d%s^%d %s at %s, interpreter", r->lineno,
             r->order, r->var, r->order, r->expr, r->point);
    tu_check_close(what, tu_eval(d, &pt), r->want, 1e-9, 1e-12);
    sg_free(ctx);
}
END_TEST

START_TEST(t_load_failed)
{
    ck_abort_msg("corpus: %s", load_error);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("corpus");
    TCase *tc = tcase_create("rows");
    tcase_set_timeout(tc, 30);
    if (load())
        tcase_add_loop_test(tc, t_row, 0, nrows);
    else
        tcase_add_test(tc, t_load_failed);
    suite_add_tcase(s, tc);
    printf("corpus: %d rows from %s\n", nrows, CORPUS);
    fflush(stdout);
    return tu_run(s);
}
