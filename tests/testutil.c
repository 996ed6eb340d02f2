/* testutil.c - see testutil.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

int tu_try_parse(SgCtx *ctx, const char *src, size_t len, Expr **out, SgError *err)
{
    Program prog;
    if (!parse_program(ctx, src, len, &prog, err))
        return 0;
    *out = prog.out;
    return 1;
}

Expr *tu_parse(SgCtx *ctx, const char *src)
{
    SgError err;
    Expr *e = NULL;
    if (!tu_try_parse(ctx, src, strlen(src), &e, &err))
        ck_abort_msg("parse of \"%s\" failed: %d:%d: %s", src, err.line, err.col, err.msg);
    ck_assert_ptr_nonnull(e);
    return e;
}

Expr *tu_var(SgCtx *ctx, const char *name) { return expr_var(ctx, name, strlen(name)); }

char *tu_infix(const Expr *e)
{
    char *s = expr_to_string(e);
    ck_assert_ptr_nonnull(s);
    return s;
}

void tu_check_infix(const char *what, const Expr *e, const char *want)
{
    char *got = tu_infix(e);
    int ok = !strcmp(got, want);
    if (!ok) {
        /* copy into the message before freeing */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: printed \"%s\", expected \"%s\"", what, got, want);
        free(got);
        ck_abort_msg("%s", msg);
    }
    free(got);
}

Expr *tu_deriv(SgCtx *ctx, Expr *e, const char *name, int n)
{
    Expr *v = tu_var(ctx, name);
    for (int i = 0; i < n; i++)
        e = deriv(ctx, e, v);
    return e;
}

/* ---- points ---------------------------------------------------------------- */

void tu_point(SgCtx *ctx, const char *spec, Point *pt)
{
    pt->n = 0;
    const char *p = spec;
    while (*p) {
        const char *eq = strchr(p, '=');
        ck_assert_msg(eq && eq > p, "bad point \"%s\"", spec);
        ck_assert_msg(pt->n < TU_MAX_VARS, "too many variables in \"%s\"", spec);
        char *end;
        double v = strtod(eq + 1, &end);
        ck_assert_msg(end != eq + 1 && (*end == ',' || *end == 0), "bad value in \"%s\"", spec);
        pt->vars[pt->n] = expr_var(ctx, p, (size_t)(eq - p));
        pt->vals[pt->n++] = v;
        p = *end ? end + 1 : end;
    }
}

double tu_point_get(const Point *pt, const char *name)
{
    for (size_t i = 0; i < pt->n; i++)
        if (!strcmp(pt->vars[i]->name, name))
            return pt->vals[i];
    ck_abort_msg("no value for '%s' in the point", name);
    return NAN;
}

/* ---- evaluation ------------------------------------------------------------ */

double tu_eval(Expr *e, const Point *pt) { return eval_expr(e, (Expr **)pt->vars, pt->vals, pt->n); }

static void check_bound(Expr **outs, size_t n, const Point *pt)
{
    Expr **fv;
    size_t nfv = expr_free_vars(outs, n, &fv);
    for (size_t i = 0; i < nfv; i++) {
        int found = 0;
        for (size_t j = 0; j < pt->n && !found; j++)
            found = pt->vars[j] == fv[i];
        if (!found) {
            char name[128];
            snprintf(name, sizeof name, "%s", fv[i]->name);
            free(fv);
            ck_abort_msg("variable '%s' has no value in the point", name);
        }
    }
    free(fv);
}

char *tu_emit(Expr **outs, size_t n, const Point *pt)
{
    EmitSpec spec = {"tu", (Expr **)pt->vars, pt->n, outs, n};
    Buf b = {0};
    emit_c_eval(&b, &spec);
    ck_assert_ptr_nonnull(b.s);
    return b.s;
}

void tu_jit_eval_n(Expr **outs, size_t n, const Point *pt, double *res)
{
    check_bound(outs, n, pt);
    char *src = tu_emit(outs, n, pt);
    SgError err = {0};
    Jit *j = jit_compile(src, &err);
    if (!j) {
        fprintf(stderr, "---- emitted C that did not compile ----\n%s\n", src);
        free(src);
        ck_abort_msg("jit_compile failed: %s", err.msg);
    }
    free(src);
    void (*fn)(const double *, double *) =
        (void (*)(const double *, double *))jit_symbol(j, "tu_eval");
    ck_assert_msg(fn != NULL, "jit_symbol(\"tu_eval\") returned NULL");
    fn(pt->vals, res);
    jit_free(j);
}

double tu_jit_eval(Expr *e, const Point *pt)
{
    double r = NAN;
    tu_jit_eval_n(&e, 1, pt, &r);
    return r;
}

/* ---- finite differences ---------------------------------------------------- */

double tu_step(double v) { return 1e-4 * fmax(1.0, fabs(v)); }

double tu_central_diff(Expr *f, Expr *var, const Point *pt, double h)
{
    Point q = *pt;
    size_t k = q.n;
    for (size_t i = 0; i < q.n; i++)
        if (q.vars[i] == var)
            k = i;
    ck_assert_msg(k < q.n, "finite difference in '%s', which has no value", var->name);
    static const double off[4] = {-2, -1, 1, 2};
    double x = q.vals[k], y[4];
    for (int i = 0; i < 4; i++) {
        q.vals[k] = x + off[i] * h;
        y[i] = tu_eval(f, &q);
    }
    return (y[0] - 8 * y[1] + 8 * y[2] - y[3]) / (12 * h);
}

/* ---- comparison ------------------------------------------------------------ */

int tu_close(double a, double b, double rel, double abs_tol)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b))
        return a == b;
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= abs_tol || d <= rel * m;
}

void tu_check_close(const char *what, double got, double want, double rel, double abs_tol)
{
    ck_assert_msg(tu_close(got, want, rel, abs_tol),
                  "%s: got %.17g, expected %.17g (difference %.3g, relative %.3g, "
                  "tolerance rel %.3g abs %.3g)",
                  what, got, want, fabs(got - want),
                  fabs(got - want) / fmax(fabs(want), 1e-300), rel, abs_tol);
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed > 255 ? 255 : failed; /* an exit status */
}
