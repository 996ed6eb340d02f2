/* query.c - one request from start to numbers: the derivatives a query asks
 * for, then their values at a point, computed by JIT-compiling the emitted C
 * for the function and all derivatives together. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "symgrad.h"

static void *xmalloc(size_t n)
{
    void *p = calloc(n ? n : 1, 1);
    if (!p)
        abort();
    return p;
}

void query_derive(SgCtx *ctx, Query *q)
{
    size_t n = q->hessian ? q->nwrt * q->nwrt : q->nwrt;
    q->derivs = xmalloc(n * sizeof *q->derivs);
    q->lower = xmalloc(n * sizeof *q->lower);
    q->lower_wrt = xmalloc(n * sizeof *q->lower_wrt);
    q->nderivs = n;
    for (size_t i = 0; i < q->nwrt; i++) {
        if (q->hessian) {
            Expr *di = deriv(ctx, q->f, q->wrt[i]);
            for (size_t j = 0; j < q->nwrt; j++) {
                size_t k = i * q->nwrt + j;
                q->lower[k] = di;
                q->lower_wrt[k] = q->wrt[j];
                q->derivs[k] = deriv(ctx, di, q->wrt[j]);
            }
            continue;
        }
        Expr *d = q->f, *prev = q->f;
        for (int k = 0; k < q->order; k++) {
            prev = d;
            d = deriv(ctx, d, q->wrt[i]);
        }
        q->derivs[i] = d;
        q->lower[i] = prev;
        q->lower_wrt[i] = q->wrt[i];
    }
}

/* A custom grad may name a variable the function's value does not use:
 * the variables are those of the function and of every derivative, the
 * lower ones that --check and the Hessian's gradient compute included. */
void query_widen_vars(Query *q)
{
    Expr **roots = malloc((2 * q->nderivs + 1) * sizeof *roots), **vars;
    roots[0] = q->f;
    memcpy(roots + 1, q->derivs, q->nderivs * sizeof *roots);
    memcpy(roots + 1 + q->nderivs, q->lower, q->nderivs * sizeof *roots);
    size_t n = expr_free_vars(roots, 2 * q->nderivs + 1, &vars);
    free(roots);
    if (n == q->nvars) {
        free(vars);
        return;
    }
    free(q->vars);
    q->vars = vars;
    q->nvars = n;
}

/* The index of var among q->vars, or -1. */
static int var_index(const Query *q, const Expr *var)
{
    for (size_t i = 0; i < q->nvars; i++)
        if (q->vars[i] == var)
            return (int)i;
    return -1;
}

typedef void (*EvalFn)(const double *in, double *out);

/* Central difference of lower[i] along its variable, against derivs[i]. */
static void check_all(Query *q, EvalFn fn, size_t nout)
{
    double *in = xmalloc(q->nvars * sizeof *in), *out = xmalloc(nout * sizeof *out);
    q->check_ok = xmalloc(q->nderivs * sizeof *q->check_ok);
    q->check_fd = xmalloc(q->nderivs * sizeof *q->check_fd);
    for (size_t i = 0; i < q->nderivs; i++) {
        int v = var_index(q, q->lower_wrt[i]);
        double fd = 0;
        if (v >= 0) {
            double x = q->at[v], h = 1e-5 * fmax(1, fabs(x)), hi, lo;
            memcpy(in, q->at, q->nvars * sizeof *in);
            in[v] = x + h;
            fn(in, out);
            hi = out[1 + q->nderivs + i];
            in[v] = x - h;
            fn(in, out);
            lo = out[1 + q->nderivs + i];
            fd = (hi - lo) / (2 * h);
        }
        double d = q->dvalues[i];
        q->check_fd[i] = fd;
        q->check_ok[i] = fabs(fd - d) <= 1e-5 * fmax(1, fabs(d)) ||
                         (isnan(fd) && isnan(d)) || (isinf(d) && fd == d);
    }
    free(in);
    free(out);
}

int query_evaluate(SgCtx *ctx, Query *q, int check, SgError *err)
{
    size_t nout = 1 + q->nderivs + (check ? q->nderivs : 0);
    Expr **outs = xmalloc(nout * sizeof *outs);
    outs[0] = q->want_value ? q->f : expr_int(ctx, 0); /* f only when it is shown */
    memcpy(outs + 1, q->derivs, q->nderivs * sizeof *outs);
    if (check)
        memcpy(outs + 1 + q->nderivs, q->lower, q->nderivs * sizeof *outs);
    EmitSpec spec = {"sg", q->vars, q->nvars, outs, nout, sg_node_count(ctx), ctx};
    Buf src = {0};
    emit_c_eval(&src, &spec);
    Jit *jit = jit_compile(src.s, err);
    buf_free(&src);
    free(outs);
    if (!jit)
        return 0;
    EvalFn fn = (EvalFn)jit_symbol(jit, "sg_eval");
    if (!fn) {
        sg_error_set(err, 0, 0, "the compiled code has no function sg_eval");
        jit_free(jit);
        return 0;
    }
    double *out = xmalloc(nout * sizeof *out);
    fn(q->at, out);
    q->value = out[0];
    q->dvalues = xmalloc(q->nderivs * sizeof *q->dvalues);
    memcpy(q->dvalues, out + 1, q->nderivs * sizeof *out);
    if (check)
        check_all(q, fn, nout);
    free(out);
    jit_free(jit);
    return 1;
}

void query_free(Query *q)
{
    free(q->vars);
    free(q->wrt);
    free(q->derivs);
    free(q->lower);
    free(q->lower_wrt);
    free(q->at);
    free(q->dvalues);
    free(q->check_ok);
    free(q->check_fd);
}
