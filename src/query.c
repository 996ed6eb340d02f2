/* query.c - one request from start to numbers: the derivatives a query asks
 * for, then their values at a point, computed by JIT-compiling the very C
 * file that --emit-c writes for the query and calling its batch function. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

static void *xmalloc(size_t n)
{
    void *p = calloc(n ? n : 1, 1);
    if (!p)
        abort();
    return p;
}

const char *const fn_names[] = {"value", "partials", "grad", "batch", "hess", "hvp", NULL};

unsigned query_functions(const Query *q)
{
    if (q->functions)
        return q->functions;
    return FN_VALUE | FN_GRAD | FN_BATCH | (q->nwrt <= PARTIALS_MAX_WRT ? FN_PARTIALS : 0) |
           (q->hessian ? FN_HESS : 0);
}

/* The Hessian times a vector of new variables (tangents), by forward mode
 * along them over the first partials: O(size of the gradient). */
static void derive_hvp(SgCtx *ctx, Query *q, Expr **first)
{
    q->tangents = xmalloc(q->nwrt * sizeof *q->tangents);
    q->hvp = xmalloc(q->nwrt * sizeof *q->hvp);
    for (size_t i = 0; i < q->nwrt; i++) {
        char name[32];
        snprintf(name, sizeof name, "%%v%zu", i); /* no program can name it */
        q->tangents[i] = expr_var(ctx, name, strlen(name));
    }
    Expr *dir = sg_direction(ctx, q->wrt, q->tangents, q->nwrt);
    for (size_t i = 0; i < q->nwrt; i++)
        q->hvp[i] = deriv(ctx, first[i], dir);
}

void query_derive(SgCtx *ctx, Query *q)
{
    size_t n = q->hessian ? q->nwrt * q->nwrt : q->nwrt;
    q->derivs = xmalloc(n * sizeof *q->derivs);
    q->lower = xmalloc(n * sizeof *q->lower);
    q->lower_wrt = xmalloc(n * sizeof *q->lower_wrt);
    q->nderivs = n;
    int first_order = q->hessian || q->order > 0;
    q->reverse = first_order && (q->mode == MODE_REVERSE ||
                                 (q->mode == MODE_AUTO && q->nwrt >= REVERSE_MIN_WRT));
    Expr **first = xmalloc(q->nwrt * sizeof *first);
    if (q->reverse)
        reverse_grad(ctx, q->f, q->wrt, q->nwrt, first);
    for (size_t i = 0; i < q->nwrt && first_order && !q->reverse; i++)
        first[i] = deriv(ctx, q->f, q->wrt[i]);
    if (first_order && (query_functions(q) & FN_HVP))
        derive_hvp(ctx, q, first);
    for (size_t i = 0; i < q->nwrt; i++) {
        if (q->hessian) {
            Expr *di = first[i];
            for (size_t j = 0; j < q->nwrt; j++) {
                size_t k = i * q->nwrt + j;
                q->lower[k] = di;
                q->lower_wrt[k] = q->wrt[j];
                q->derivs[k] = deriv(ctx, di, q->wrt[j]);
            }
            continue;
        }
        Expr *d = q->order ? first[i] : q->f, *prev = q->f;
        for (int k = 1; k < q->order; k++) {
            prev = d;
            d = deriv(ctx, d, q->wrt[i]);
        }
        q->derivs[i] = d;
        q->lower[i] = prev;
        q->lower_wrt[i] = q->wrt[i];
    }
    free(first);
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

#define FD_STEPS 12 /* step sizes tried by --check */

typedef void (*BatchFn)(size_t n, const double *in, double *out);
typedef void (*HessFn)(const double *in, double *hess);

Jit *query_compile(SgCtx *ctx, const Query *q, SgError *err)
{
    CFile cf = {"sg", "sg.c", "sg.h", 0, NULL, NULL};
    Buf c = {0};
    Query dq = *q;
    dq.functions = 0; /* the default file, which holds the batch (and hess) */
    Jit *jit = emit_c_file(ctx, &dq, &cf, &c, NULL, err) ? jit_compile(c.s, err) : NULL;
    buf_free(&c);
    return jit;
}

static void *symbol(Jit *jit, const char *name, SgError *err)
{
    void *p = jit_symbol(jit, name);
    if (!p)
        sg_error_set(err, 0, 0, "the compiled code has no function %s", name);
    return p;
}

/* Central difference of lower[i] along lower_wrt[i], against derivs[i]. The
 * lower orders are columns of a batch row: the value (order 1), a first
 * partial (Hessian), or the partials of the file one order down. */
static int check_all(SgCtx *ctx, Query *q, BatchFn batch, SgError *err)
{
    Jit *down = NULL;
    if (!q->hessian && q->order > 1) {
        Query lq = *q;
        lq.order = q->order - 1;
        lq.derivs = q->lower;
        if (!(down = query_compile(ctx, &lq, err)) ||
            !(batch = (BatchFn)symbol(down, "sg_batch", err))) {
            if (down)
                jit_free(down);
            return 0;
        }
    }
    size_t width = 1 + q->nwrt;
    double *in = xmalloc(q->nvars * sizeof *in), *row = xmalloc(width * sizeof *row);
    q->check_ok = xmalloc(q->nderivs * sizeof *q->check_ok);
    q->check_fd = xmalloc(q->nderivs * sizeof *q->check_fd);
    for (size_t i = 0; i < q->nderivs; i++) {
        size_t col = q->hessian ? 1 + i / q->nwrt : q->order > 1 ? 1 + i : 0;
        int v = var_index(q, q->lower_wrt[i]);
        double fd = 0, spread = 0;
        if (v >= 0) {
            /* Central differences with steps 10^-1 .. 10^-12 of the point's
             * scale; the estimate taken is where two neighbours agree best,
             * and their spread estimates its error (rounding against a large
             * value, truncation against a fast-changing one). */
            double x = q->at[v], scale = fmax(1, fabs(x)), prev = NAN, prev_round = 0;
            spread = INFINITY;
            memcpy(in, q->at, q->nvars * sizeof *in);
            for (int k = 1; k <= FD_STEPS; k++) {
                double h = scale * pow(10, -k), hi, lo;
                in[v] = x + h;
                batch(1, in, row);
                hi = row[col];
                in[v] = x - h;
                batch(1, in, row);
                lo = row[col];
                double step = (x + h) - (x - h), dk = (hi - lo) / step;
                /* what rounding hi and lo alone may move dk by */
                double round = 8 * DBL_EPSILON * fmax(fabs(hi), fabs(lo)) / step;
                double e = fabs(dk - prev) + round + prev_round;
                if (k == 1)
                    fd = dk;
                else if (e < spread)
                    spread = e, fd = dk;
                prev = dk;
                prev_round = round;
            }
            if (!isfinite(spread)) /* no two steps agreed: no allowance for error */
                spread = 0;
        }
        double d = q->dvalues[i];
        q->check_fd[i] = fd;
        q->check_ok[i] = fabs(fd - d) <= 1e-6 * fmax(1, fabs(d)) + 2 * spread ||
                         (isnan(fd) && isnan(d)) || (isinf(d) && fd == d);
    }
    free(in);
    free(row);
    if (down)
        jit_free(down);
    return 1;
}

int query_evaluate(SgCtx *ctx, Query *q, int check, SgError *err)
{
    Jit *jit = query_compile(ctx, q, err);
    if (!jit)
        return 0;
    BatchFn batch = (BatchFn)symbol(jit, "sg_batch", err);
    HessFn hess = q->hessian ? (HessFn)symbol(jit, "sg_hess", err) : NULL;
    int ok = batch && (hess || !q->hessian);
    if (ok) {
        double *row = xmalloc((1 + q->nwrt) * sizeof *row);
        batch(1, q->at, row); /* the value, then the partials */
        q->value = row[0];
        q->dvalues = xmalloc(q->nderivs * sizeof *q->dvalues);
        if (hess) {
            hess(q->at, q->dvalues);
            q->gvalues = xmalloc(q->nwrt * sizeof *q->gvalues);
            memcpy(q->gvalues, row + 1, q->nwrt * sizeof *row);
        } else if (q->order == 0) /* each "derivative" is f itself; the file has no partials */
            for (size_t i = 0; i < q->nderivs; i++)
                q->dvalues[i] = row[0];
        else
            memcpy(q->dvalues, row + 1, q->nderivs * sizeof *row);
        free(row);
        ok = !check || check_all(ctx, q, batch, err);
    }
    jit_free(jit);
    return ok;
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
    free(q->gvalues);
    free(q->check_ok);
    free(q->check_fd);
    free(q->hvp);
    free(q->tangents);
}
