/* testutil.c - see testutil.h. */
#include <complex.h>
#include <stdarg.h>
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
    EmitSpec spec = {.name = "tu", .params = (Expr **)pt->vars, .nparams = pt->n,
                     .outputs = outs, .noutputs = n};
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

/* ---- complex continuation ------------------------------------------------- */

typedef struct {
    uint32_t *keys; /* node id + 1; 0 = empty */
    double complex *vals;
    size_t cap, len;
    int ok;
    char *why;
    size_t whysize;
} CEval;

static double complex *cmemo_slot(CEval *m, uint32_t id, int *found)
{
    if ((m->len + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        uint32_t *keys = calloc(cap, sizeof *keys);
        double complex *vals = calloc(cap, sizeof *vals);
        ck_assert_msg(keys && vals, "out of memory");
        uint32_t *okeys = m->keys;
        double complex *ovals = m->vals;
        size_t ocap = m->cap;
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
        m->len = 0;
        for (size_t i = 0; i < ocap; i++)
            if (okeys[i]) {
                int f;
                *cmemo_slot(m, okeys[i] - 1, &f) = ovals[i];
            }
        free(okeys);
        free(ovals);
    }
    size_t i = (id * 2654435761u) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != id + 1)
        i = (i + 1) & (m->cap - 1);
    *found = m->keys[i] != 0;
    if (!*found) {
        m->keys[i] = id + 1;
        m->len++;
    }
    return &m->vals[i];
}

static void cfail(CEval *m, const char *fmt, ...)
{
    if (!m->ok)
        return; /* keep the first reason */
    m->ok = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why, m->whysize, fmt, ap);
    va_end(ap);
}

/* SymPy's numbers have no signed zeros: an exact zero part is +0, which
 * puts a real negative number on the upper side of the cut of log, sqrt,
 * acosh and ^ as mpmath does. */
static double complex cnorm(double complex z)
{
    double re = creal(z), im = cimag(z);
    return CMPLX(re == 0 ? 0.0 : re, im == 0 ? 0.0 : im);
}

/* The real value of z, which must be real up to rounding. */
static int creal_of(CEval *m, const Expr *e, double complex z, double *out)
{
    double re = creal(z), im = cimag(z);
    if (fabs(im) > 1e-12 * fmax(1.0, fabs(re))) {
        const char *name = op_info[e->op].name;
        cfail(m, "%s has no complex continuation here and meets %.17g%+.17gi",
              e->op == OP_SELECT ? "?:" : name[0] ? name : "an operation", re, im);
        return 0;
    }
    *out = re;
    return 1;
}

/* z^n by repeated squaring. */
static double complex cpow_int(double complex z, long long n)
{
    unsigned long long k = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
    double complex r = 1, b = z;
    while (k) {
        if (k & 1)
            r *= b;
        b *= b;
        k >>= 1;
    }
    return n < 0 ? 1 / r : r;
}

static double complex ceval(Expr *e, CEval *m);

static double complex ceval_node(Expr *e, CEval *m)
{
    double complex z, a[3];
    double r[3];
    switch (e->op) {
    case OP_NUM: return e->num;
    case OP_VAR:
        cfail(m, "variable '%s' has no value in the point", e->name);
        return NAN;
    case OP_PI: return 3.14159265358979323846;
    case OP_E: return 2.71828182845904523536;
    case OP_ADD:
        z = 0;
        for (uint32_t i = 0; i < e->n; i++)
            z += ceval(e->args[i], m);
        return z;
    case OP_MUL:
        z = 1;
        for (uint32_t i = 0; i < e->n; i++)
            z *= ceval(e->args[i], m);
        return z;
    case OP_SELECT: /* the branch not taken is never evaluated */
        if (!creal_of(m, e, ceval(e->args[0], m), &r[0]))
            return NAN;
        return r[0] != 0 ? ceval(e->args[1], m) : ceval(e->args[2], m);
    case OP_CALL: return ceval(e->args[0], m);
    case OP_STOP: return ceval(e->args[0], m);
    case OP_POW: {
        double complex b = ceval(e->args[0], m), p = ceval(e->args[1], m);
        double pr = creal(p);
        if (cimag(p) == 0 && pr == nearbyint(pr) && fabs(pr) <= 1 << 20)
            return cpow_int(b, (long long)pr);
        if (cimag(b) == 0 && cimag(p) == 0 && creal(b) >= 0)
            return pow(creal(b), pr); /* the real power, exactly as C has it */
        return cpow(b, p);
    }
    default: break;
    }
    for (uint32_t i = 0; i < e->n && i < 3; i++)
        a[i] = ceval(e->args[i], m);
    z = a[0];
    double x = creal(z), y = cimag(z);
    switch (e->op) {
    case OP_EXP: return cexp(z);
    case OP_EXPM1: return y == 0 ? expm1(x) : cexp(z) - 1;
    case OP_LOG: return clog(z);
    case OP_LOG10: return clog(z) / 2.30258509299404568402;
    case OP_LOG2: return clog(z) / 0.69314718055994530942;
    case OP_LOG1P: return y == 0 && x > -1 ? log1p(x) : clog(1 + z);
    case OP_SQRT: return csqrt(z);
    case OP_SIN: return csin(z);
    case OP_COS: return ccos(z);
    case OP_TAN: return ctan(z);
    case OP_SINH: return csinh(z);
    case OP_COSH: return ccosh(z);
    case OP_TANH: return ctanh(z);
    /* mpmath puts the cut (1, inf) of asin, acos, atanh on its lower side
     * and the cut (-inf i, -i) of atan, asinh on its left side */
    case OP_ASIN: return casin(y == 0 && x > 1 ? CMPLX(x, -0.0) : z);
    case OP_ACOS: return cacos(y == 0 && x > 1 ? CMPLX(x, -0.0) : z);
    case OP_ATANH: return catanh(y == 0 && x > 1 ? CMPLX(x, -0.0) : z);
    case OP_ATAN: return catan(x == 0 && y < -1 ? CMPLX(-0.0, y) : z);
    case OP_ASINH: return casinh(x == 0 && y < -1 ? CMPLX(-0.0, y) : z);
    case OP_ACOSH: return cacosh(z);
    case OP_CBRT:
        if (x >= 0)
            return z == 0 ? 0 : y == 0 ? cbrt(x) : cpow(z, 1.0 / 3);
        if (!creal_of(m, e, z, &r[0]))
            return NAN;
        return cbrt(r[0]);
    default:
        /* no continuation: the real meaning on real arguments */
        if (e->n > 3) {
            cfail(m, "unexpected operation %d with %u arguments", e->op, (unsigned)e->n);
            return NAN;
        }
        for (uint32_t i = 0; i < e->n; i++)
            if (!creal_of(m, e, a[i], &r[i]))
                return NAN;
        return eval_op((Op)e->op, r);
    }
}

static double complex ceval(Expr *e, CEval *m)
{
    if (!m->ok)
        return NAN;
    if (e->op == OP_NUM)
        return e->num;
    int found;
    double complex *slot = cmemo_slot(m, e->id, &found);
    if (found)
        return *slot;
    double complex v = cnorm(ceval_node(e, m));
    /* the table may have grown while the arguments were evaluated */
    *cmemo_slot(m, e->id, &found) = v;
    return v;
}

int tu_ceval(Expr *e, const Point *pt, double *re, double *im, char *why, size_t whysize)
{
    char scratch[8];
    CEval m = {0};
    m.ok = 1;
    m.why = why && whysize ? why : scratch;
    m.whysize = why && whysize ? whysize : sizeof scratch;
    m.why[0] = 0;
    int found;
    for (size_t i = 0; i < pt->n; i++)
        *cmemo_slot(&m, pt->vars[i]->id, &found) = pt->vals[i];
    double complex v = ceval(e, &m);
    free(m.keys);
    free(m.vals);
    *re = m.ok ? creal(v) : NAN;
    *im = m.ok ? cimag(v) : NAN;
    return m.ok;
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
