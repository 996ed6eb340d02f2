/* test_corpus.c - the reference corpus (corpus_derivs.tsv: expression,
 * variable, order, point, expected value computed independently of symgrad).
 * Each row is differentiated `order` times and evaluated through the JIT and
 * through the interpreter; both must agree with the expected value to 1e-9
 * relative (1e-12 absolute near 0). One Check test per row.
 *
 * A few rows pass through complex intermediates (acos(1.071), acosh(0.552))
 * and still have a real value, which SymPy found. symgrad computes in real
 * double arithmetic as C does, so the JIT and the interpreter both give NaN
 * there. For such a row (both NaN, expected value finite) the same
 * derivative expression is evaluated again in complex arithmetic
 * (tu_ceval): its real part must equal the expected value to the same
 * tolerance and its imaginary part must be below 1e-9 * max(1, |expected|).
 * A row that fails both ways fails the test. The summary at the end counts
 * the rows that passed each way.
 *
 * Every row is also differentiated in every free variable both ways, one
 * partial at a time (forward) and by one reverse sweep, and at second order
 * the reverse gradient differentiated once more: each partial must agree to
 * 1e-12 relative at the row's point (NaN with NaN). */
#define _DEFAULT_SOURCE /* strdup, MAP_ANONYMOUS */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/* How each row passed, written by the test (in a child process when Check
 * forks, hence shared memory) and read by main after the run. */
enum { ROW_NOT_PASSED, ROW_REAL, ROW_COMPLEX };
static volatile unsigned char *outcome;

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
    snprintf(what, sizeof what, "line %d: d^%d/d%s^%d %s at %s", r->lineno, r->order, r->var,
             r->order, r->expr, r->point);
    double jit = tu_jit_eval(d, &pt), interp = tu_eval(d, &pt);
    if (isnan(jit) && isnan(interp) && isfinite(r->want)) {
        /* real arithmetic leaves the reals on the way: continue into the complex plane */
        double re, im;
        char why[256];
        int ok = tu_ceval(d, &pt, &re, &im, why, sizeof why);
        double im_tol = 1e-9 * fmax(1.0, fabs(r->want));
        ck_assert_msg(ok, "%s: real arithmetic gives NaN (JIT and interpreter), expected "
                      "%.17g; complex continuation impossible: %s", what, r->want, why);
        ck_assert_msg(tu_close(re, r->want, 1e-9, 1e-12) && fabs(im) <= im_tol,
                      "%s: real arithmetic gives NaN (JIT and interpreter); complex "
                      "continuation gives %.17g%+.17gi, expected %.17g (real part off by %.3g, "
                      "tolerance rel 1e-09 abs 1e-12; imaginary part tolerance %.3g)",
                      what, re, im, r->want, fabs(re - r->want), im_tol);
        outcome[_i] = ROW_COMPLEX;
    } else {
        char how[600];
        snprintf(how, sizeof how, "%s, JIT", what);
        tu_check_close(how, jit, r->want, 1e-9, 1e-12);
        snprintf(how, sizeof how, "%s, interpreter", what);
        tu_check_close(how, interp, r->want, 1e-9, 1e-12);
        outcome[_i] = ROW_REAL;
    }
    sg_free(ctx);
}
END_TEST

START_TEST(t_reverse)
{
    const Row *r = &rows[_i];
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, r->expr), **vars;
    size_t n = expr_free_vars(&f, 1, &vars);
    Expr **fwd = calloc(n + 1, sizeof *fwd), **rev = calloc(n + 1, sizeof *rev);
    double *vf = calloc(n + 1, sizeof *vf), *vr = calloc(n + 1, sizeof *vr);
    reverse_grad(ctx, f, vars, n, rev);
    for (size_t i = 0; i < n; i++) {
        fwd[i] = deriv(ctx, f, vars[i]);
        if (r->order == 2) { /* forward over reverse: the diagonal of the Hessian */
            fwd[i] = deriv(ctx, fwd[i], vars[i]);
            rev[i] = deriv(ctx, rev[i], vars[i]);
        }
    }
    Point pt;
    tu_point(ctx, r->point, &pt);
    tu_jit_eval_n(fwd, n, &pt, vf);
    tu_jit_eval_n(rev, n, &pt, vr);
    for (size_t i = 0; i < n; i++) {
        char what[600];
        snprintf(what, sizeof what, "line %d: %s, d%s/d%s reverse against forward (%s)",
                 r->lineno, r->expr, r->order == 2 ? "^2" : "", vars[i]->name, r->point);
        tu_check_close(what, vr[i], vf[i], 1e-12, 1e-12);
        snprintf(what + strlen(what), sizeof what - strlen(what), ", interpreter");
        tu_check_close(what, tu_eval(rev[i], &pt), tu_eval(fwd[i], &pt), 1e-12, 1e-12);
    }
    free(vars), free(fwd), free(rev), free(vf), free(vr);
    sg_free(ctx);
}
END_TEST

/* The size check that guards printing (expr_text_bound) never reads less
 * than the text, and not so much more that output is refused for nothing:
 * checked on every row's function and derivative, alone and together. */
START_TEST(t_text_bound)
{
    const Row *r = &rows[_i];
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, r->expr), *d = tu_deriv(ctx, f, r->var, r->order);
    Expr *both[2] = {f, d};
    size_t total = 0;
    for (int k = 0; k < 3; k++) {
        size_t len = 0;
        for (int j = k == 2 ? 0 : k; j <= (k == 2 ? 1 : k); j++) {
            char *s = tu_infix(both[j]);
            len += strlen(s);
            free(s);
        }
        size_t bound = expr_text_bound(ctx, k == 2 ? both : &both[k], k == 2 ? 2 : 1,
                                       (size_t)1 << 40);
        ck_assert_msg(bound >= len && bound <= 5 * len + 16,
                      "line %d (%s): %s is %zu characters, the bound says %zu", r->lineno,
                      r->expr, k == 0 ? "f" : k == 1 ? "the derivative" : "both", len, bound);
        total = len;
    }
    /* a limit below the text is reported as passed */
    ck_assert(expr_text_bound(ctx, both, 2, total / 2) == total / 2 + 1);
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
    int loaded = load();
    if (loaded) {
        outcome = mmap(NULL, (size_t)nrows, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
        if (outcome == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        tcase_add_loop_test(tc, t_row, 0, nrows);
        tcase_add_loop_test(tc, t_text_bound, 0, nrows);
        tcase_add_loop_test(tc, t_reverse, 0, nrows);
    } else {
        tcase_add_test(tc, t_load_failed);
    }
    suite_add_tcase(s, tc);
    printf("corpus: %d rows from %s\n", nrows, CORPUS);
    fflush(stdout);
    int failed = tu_run(s);
    if (loaded) {
        int nreal = 0, ncomplex = 0;
        for (int i = 0; i < nrows; i++) {
            nreal += outcome[i] == ROW_REAL;
            ncomplex += outcome[i] == ROW_COMPLEX;
        }
        int nfailed = nrows - nreal - ncomplex;
        printf("corpus: %d rows, %d in real arithmetic, %d through complex continuation "
               "(real result NaN as in C)", nrows, nreal, ncomplex);
        if (nfailed)
            printf(", %d failed", nfailed);
        printf("\n");
        if (nfailed && !failed)
            failed = 1; /* a row that never finished must not pass unnoticed */
    }
    return failed;
}
