/* test_deriv.c - every derivative rule checked against finite differences,
 * the conventions of SPEC section 2 where a function has no derivative
 * (checked against values worked out by hand), user functions with custom
 * gradients, and high-order derivatives that must not swell. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- rules against finite differences -------------------------------------- */

/* f differentiated in each of wrt's comma-separated variables in turn; the
 * last step is compared with a central difference of the one before, at
 * every ';'-separated point. Points stay away from kinks and domain ends. */
typedef struct {
    const char *f, *wrt, *pts;
} Rule;

static const Rule rules[] = {
    {"sin(x)", "x", "x=-2;x=0.3;x=1.7"},
    {"cos(x)", "x", "x=-2;x=0.3;x=1.7"},
    {"tan(x)", "x", "x=-1.2;x=0.3;x=1"},
    {"asin(x)", "x", "x=-0.9;x=0;x=0.5"},
    {"acos(x)", "x", "x=-0.9;x=0;x=0.5"},
    {"atan(x)", "x", "x=-3;x=0.2;x=5"},
    {"sinh(x)", "x", "x=-2;x=0.5;x=3"},
    {"cosh(x)", "x", "x=-2;x=0.5;x=3"},
    {"tanh(x)", "x", "x=-2;x=0.5;x=3"},
    {"asinh(x)", "x", "x=-2;x=0;x=3"},
    {"acosh(x)", "x", "x=1.2;x=2;x=10"},
    {"atanh(x)", "x", "x=-0.8;x=0.1;x=0.6"},
    {"exp(x)", "x", "x=-3;x=0;x=2.5"},
    {"log(x)", "x", "x=0.2;x=1;x=30"},
    {"log2(x)", "x", "x=0.2;x=3"},
    {"log10(x)", "x", "x=0.2;x=50"},
    {"log1p(x)", "x", "x=-0.5;x=0;x=4"},
    {"expm1(x)", "x", "x=-2;x=0.001;x=3"},
    {"sqrt(x)", "x", "x=0.01;x=2;x=100"},
    {"cbrt(x)", "x", "x=-2;x=0.5;x=3"},
    {"abs(x)", "x", "x=-1.5;x=0.7"},
    {"sign(x)", "x", "x=-1;x=2"},
    {"floor(x)", "x", "x=0.5;x=-1.3"},
    {"ceil(x)", "x", "x=0.5;x=-1.3"},
    {"sigmoid(x)", "x", "x=-3;x=0;x=2"},
    {"softplus(x)", "x", "x=-3;x=0;x=2"},
    {"relu(x)", "x", "x=-1;x=0.5"},
    {"erf(x)", "x", "x=-1;x=0.3;x=2"},
    {"erfc(x)", "x", "x=-1;x=0.3;x=2"},
    {"pow(x, 3)", "x", "x=-1.5;x=2"},
    {"pow(2, x)", "x", "x=-1;x=0.5"},
    {"pow(x, y)", "x", "x=1.5,y=2.5;x=0.3,y=-1.2"},
    {"pow(x, y)", "y", "x=1.5,y=2.5;x=0.3,y=-1.2"},
    {"x^x", "x", "x=0.5;x=2"},
    {"x^-2", "x", "x=-1.5;x=0.5"},
    {"x^(1/3)", "x", "x=0.5;x=8"},
    {"2^-x^2", "x", "x=0.7"},
    {"atan2(y, x)", "x", "x=1,y=2;x=-1,y=-0.5;x=-2,y=1"},
    {"atan2(y, x)", "y", "x=1,y=2;x=-1,y=-0.5;x=-2,y=1"},
    {"hypot(x, y)", "x", "x=3,y=4;x=-1,y=0.5"},
    {"hypot(x, y)", "y", "x=3,y=4;x=-1,y=0.5"},
    {"min(x, y)", "x", "x=1,y=2;x=3,y=2"},
    {"min(x, y)", "y", "x=1,y=2;x=3,y=2"},
    {"max(x, y)", "x", "x=1,y=2;x=3,y=2"},
    {"max(x, y)", "y", "x=1,y=2;x=3,y=2"},
    {"clamp(x, lo, hi)", "x", "x=0.5,lo=0,hi=1;x=-1,lo=0,hi=1;x=2,lo=0,hi=1"},
    {"clamp(x, lo, hi)", "lo", "x=0.5,lo=0,hi=1;x=-1,lo=0,hi=1;x=2,lo=0,hi=1"},
    {"clamp(x, lo, hi)", "hi", "x=0.5,lo=0,hi=1;x=-1,lo=0,hi=1;x=2,lo=0,hi=1"},
    {"x > 0 ? x^2 : -x^3", "x", "x=1.5;x=-2"},
    {"x > y && y > 0 || x < -1 ? x*y : x + y", "x", "x=2,y=1;x=-2,y=3;x=0.5,y=1"},
    {"stop(x)*0 + x^2", "x", "x=1.5"},
    /* the chain, product and quotient rules */
    {"sin(cos(tan(x)))", "x", "x=0.4;x=-1"},
    {"x*sin(x)*exp(x)", "x", "x=0.5;x=-2"},
    {"(x^2 + 1)/(x - 3)", "x", "x=0.5;x=5"},
    {"exp(-x^2/2)/sqrt(2*pi)", "x", "x=0.3;x=-1.4"},
    {"log(sigmoid(3*x))", "x", "x=-2;x=1"},
    {"sqrt(1 + softplus(x)^2)", "x", "x=-1;x=2"},
    {"asin(tanh(x))*acosh(2 + x^2)", "x", "x=0.7"},
    {"x*y*z + y^2*sin(z)", "z", "x=1,y=2,z=0.3"},
    /* user functions: body, and custom gradients that are correct */
    {"def sq(u) = u^2; sq(sin(x))", "x", "x=0.7;x=-2"},
    {"def sq(u) = u^2 grad 2*u; sq(sin(x))", "x", "x=0.7;x=-2"},
    {"def f(u, v) = u*v grad (v, u); f(x^2, sin(x))", "x", "x=0.9"},
    {"def f(u, v) = u*v grad (v, u); f(x*y, y)", "y", "x=0.5,y=1.5"},
    {"def lse(a, b) = log(exp(a) + exp(b)) grad (sigmoid(a - b), sigmoid(b - a)); "
     "lse(x^2, 3*x)", "x", "x=0.4;x=2"},
    /* the binary cross-entropy of SPEC section 2, inside the clamp */
    {"z = w*x + b; p = clamp(sigmoid(z), 1e-8, 1 - 1e-8); -y*log(p) - (1-y)*log(1-p)", "w",
     "w=0.5,x=1.5,b=-0.2,y=1;w=-2,x=0.3,b=1,y=0"},
    {"z = w*x + b; p = clamp(sigmoid(z), 1e-8, 1 - 1e-8); -y*log(p) - (1-y)*log(1-p)", "b",
     "w=0.5,x=1.5,b=-0.2,y=1;w=-2,x=0.3,b=1,y=0"},
    /* higher and mixed orders: the last step against the one before */
    {"sin(x^2)", "x,x", "x=0.8;x=-1.5"},
    {"x^x", "x,x,x", "x=1.3"},
    {"x^2*y^3 + exp(x*y)", "x,y", "x=1.2,y=0.7"},
    {"atan2(y, x)", "y,x", "x=1,y=2"},
    {"sigmoid(x)*softplus(y)", "x,x,y", "x=0.3,y=-0.4"},
    {"def sq(u) = u^2 grad 2*u; sq(x^3)", "x,x", "x=1.1"},
};

/* Differentiate r->f along all of r->wrt; *lower gets the next-to-last
 * result and *last the variable of the last step. */
static Expr *along(SgCtx *ctx, Expr *f, const char *wrt, Expr **lower, Expr **last)
{
    char names[64];
    snprintf(names, sizeof names, "%s", wrt);
    Expr *d = f;
    for (char *v = strtok(names, ","); v; v = strtok(NULL, ",")) {
        *lower = d;
        *last = tu_var(ctx, v);
        d = deriv(ctx, d, *last);
    }
    return d;
}

START_TEST(t_rule)
{
    const Rule *r = &rules[_i];
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, r->f), *lower = NULL, *var = NULL;
    Expr *d = along(ctx, f, r->wrt, &lower, &var);
    char pts[256], what[512];
    snprintf(pts, sizeof pts, "%s", r->pts);
    char *save = NULL;
    for (char *p = strtok_r(pts, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
        Point pt;
        tu_point(ctx, p, &pt);
        double h = tu_step(tu_point_get(&pt, var->name));
        double fd = tu_central_diff(lower, var, &pt, h);
        double got = tu_eval(d, &pt), jit = tu_jit_eval(d, &pt);
        snprintf(what, sizeof what, "d/d(%s) %s at %s, interpreter vs finite difference",
                 r->wrt, r->f, p);
        ck_assert_msg(isfinite(fd), "%s: the finite difference is %g", what, fd);
        tu_check_close(what, got, fd, 1e-6, 1e-9);
        snprintf(what, sizeof what, "d/d(%s) %s at %s, JIT vs interpreter", r->wrt, r->f, p);
        tu_check_close(what, jit, got, 1e-12, 1e-15);
    }
    sg_free(ctx);
}
END_TEST

/* ---- conventions and exact values, by hand --------------------------------- */

typedef struct {
    const char *f, *wrt, *at;
    double d;     /* the derivative, by hand */
    double value; /* the function, by hand; NAN: not checked */
} Exact;

static const Exact exact[] = {
    /* d|x| = sign(x), 0 at 0; relu'(0) = 0; sign, floor, ceil' = 0 */
    {"abs(x)", "x", "x=0", 0, 0},
    {"abs(x)", "x", "x=-2", -1, 2},
    {"abs(x^3)", "x", "x=0", 0, 0},
    {"relu(x)", "x", "x=0", 0, 0},
    {"relu(x)", "x", "x=2", 1, 2},
    {"relu(x)", "x", "x=-2", 0, 0},
    {"sign(x)", "x", "x=0", 0, 0},
    {"floor(x)", "x", "x=1", 0, 1},
    {"ceil(x)", "x", "x=1", 0, 1},
    {"floor(x)*x", "x", "x=2.5", 2, 5},
    /* min/max at a tie follow the first argument */
    {"min(x, y)", "x", "x=1,y=1", 1, 1},
    {"min(x, y)", "y", "x=1,y=1", 0, 1},
    {"max(x, y)", "x", "x=1,y=1", 1, 1},
    {"max(x, y)", "y", "x=1,y=1", 0, 1},
    {"min(y, x)", "x", "x=1,y=1", 0, 1},
    {"min(x, 2)", "x", "x=2", 1, 2},
    {"min(2, x)", "x", "x=2", 0, 2},
    {"max(x, 2)", "x", "x=2", 1, 2},
    {"max(2, x)", "x", "x=2", 0, 2},
    {"max(x^2, x)", "x", "x=1", 2, 1},
    {"max(x, x^2)", "x", "x=1", 1, 1},
    {"min(2*x, x + 1)", "x", "x=1", 2, 2},
    /* clamp' = 1 on the closed interval [lo, hi], 0 outside */
    {"clamp(x, 0, 1)", "x", "x=0", 1, 0},
    {"clamp(x, 0, 1)", "x", "x=1", 1, 1},
    {"clamp(x, 0, 1)", "x", "x=0.5", 1, 0.5},
    {"clamp(x, 0, 1)", "x", "x=-0.1", 0, 0},
    {"clamp(x, 0, 1)", "x", "x=1.1", 0, 1},
    {"clamp(2*x, 0, 1)", "x", "x=0.5", 2, 1},
    {"clamp(x, lo, hi)", "lo", "x=-1,lo=0,hi=1", 1, 0},
    {"clamp(x, lo, hi)", "lo", "x=0,lo=0,hi=1", 0, 0},
    {"clamp(x, lo, hi)", "hi", "x=2,lo=0,hi=1", 1, 1},
    {"clamp(x, lo, hi)", "hi", "x=1,lo=0,hi=1", 0, 1},
    /* stop(e): the value of e, derivative 0 */
    {"stop(x)", "x", "x=3", 0, 3},
    {"detach(x^2)", "x", "x=3", 0, 9},
    {"x*stop(x)", "x", "x=3", 3, 9},
    {"exp(stop(x))", "x", "x=0", 0, 1},
    {"stop(x)*y", "y", "x=3,y=2", 3, 6},
    /* ?: differentiates each branch and never evaluates the one not taken */
    {"x > 0 ? log(x) : 0", "x", "x=-1", 0, 0},
    {"x > 0 ? log(x) : 0", "x", "x=0", 0, 0},
    {"x > 0 ? log(x) : 0", "x", "x=2", 0.5, 0.69314718055994531},
    {"x > 0 ? log(x) : 0", "x,x", "x=-1", 0, 0},
    {"x > 0 ? sqrt(x) : 0", "x", "x=0", 0, 0},
    {"x != 0 ? sin(x)/x : 1", "x", "x=0", 0, 1},
    {"x >= 1 ? acosh(x) : x", "x", "x=0.5", 1, 0.5},
    {"x*(x > 0 ? log(x) : 0)", "x", "x=-1", 0, 0},
    {"x < 1 ? 0 : log(x - 1)", "x", "x=0.5", 0, 0},
    /* custom gradients override the body's derivative */
    {"def g(u) = u grad 5; g(x)", "x", "x=1", 5, 1},
    {"def g(u) = u^2 grad 0; g(x)", "x", "x=3", 0, 9},
    {"def f(u, v) = u + v grad (2, 3); f(x, x)", "x", "x=1", 5, 2},
    {"def f(u, v) = u + v grad (2, 3); f(x, y)", "y", "x=1,y=4", 3, 5},
    {"def sq(u) = u^2 grad 2*u; sq(sq(x))", "x", "x=2", 32, 16},
    {"def sq(u) = u^2 grad 2*u; sq(x)", "x,x", "x=3", 2, 9},
    /* high orders with closed forms */
    {"x^10", "x,x,x,x,x,x,x,x,x,x", "x=0.7", 3628800, 0.0282475249},
    {"exp(2*x)", "x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x", "x=0", 1048576, 1},
    {"sin(x)", "x,x,x,x,x,x", "x=0.5", -0.47942553860420301, 0.47942553860420301},
    /* the notebook examples */
    {"x^2", "x", "x=2", 4, 4},
    {"sin(x^2)", "x", "x=4", -7.661275842587077, -0.28790331666506530},
};

START_TEST(t_exact)
{
    const Exact *c = &exact[_i];
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, c->f), *lower, *var;
    Expr *d = along(ctx, f, c->wrt, &lower, &var);
    Point pt;
    tu_point(ctx, c->at, &pt);
    char what[256];
    double fv[2], want[2] = {c->value, c->d};
    Expr *outs[2] = {f, d};
    tu_jit_eval_n(outs, 2, &pt, fv);
    for (int k = 0; k < 2; k++) {
        if (isnan(want[k]))
            continue;
        const char *kind = k ? "derivative" : "value";
        snprintf(what, sizeof what, "%s of %s (d/d %s) at %s, interpreter", kind, c->f,
                 c->wrt, c->at);
        tu_check_close(what, tu_eval(outs[k], &pt), want[k], 1e-13, 1e-300);
        snprintf(what, sizeof what, "%s of %s (d/d %s) at %s, JIT", kind, c->f, c->wrt, c->at);
        tu_check_close(what, fv[k], want[k], 1e-13, 1e-300);
    }
    sg_free(ctx);
}
END_TEST

/* ---- memoisation and swell ---------------------------------------------------- */

START_TEST(t_tenth_derivative)
{
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, "sin(sin(sin(sin(x))))");
    size_t before = sg_node_count(ctx);
    Expr *d = tu_deriv(ctx, f, "x", 10);
    size_t grown = sg_node_count(ctx) - before;
    ck_assert_msg(grown < 200000, "the 10th derivative took %zu new nodes", grown);
    Point pt;
    tu_point(ctx, "x=0.5", &pt);
    tu_check_close("10th derivative, interpreter", tu_eval(d, &pt), 434067.27884395143, 1e-9, 0);
    tu_check_close("10th derivative, JIT", tu_jit_eval(d, &pt), 434067.27884395143, 1e-9, 0);
    sg_free(ctx);
}
END_TEST

/* Derivatives are memoised: asking again returns the same node and builds
 * nothing. */
START_TEST(t_memoised)
{
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, "exp(sin(x)*y)/(1 + x^2)");
    Expr *x = tu_var(ctx, "x");
    Expr *d = deriv(ctx, f, x);
    size_t n = sg_node_count(ctx);
    ck_assert(deriv(ctx, f, x) == d);
    ck_assert(deriv(ctx, tu_parse(ctx, "exp(y*sin(x))*(x^2 + 1)^-1"), x) == d);
    ck_assert_uint_eq(sg_node_count(ctx), n);
    sg_free(ctx);
}
END_TEST

/* A chain of 60 bindings, each using the previous one twice, is a tree of
 * 2^60 leaves but a graph of 60 levels: its derivative must stay linear. */
START_TEST(t_shared_graph)
{
    enum { LEVELS = 60 };
    char *src = malloc(LEVELS * 48 + 16), *p = src;
    p += sprintf(p, "a0 = x\n");
    for (int i = 1; i <= LEVELS; i++)
        p += sprintf(p, "a%d = sin(a%d)*a%d + 1\n", i, i - 1, i - 1);
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, src);
    size_t before = sg_node_count(ctx);
    Expr *d = tu_deriv(ctx, f, "x", 1);
    size_t grown = sg_node_count(ctx) - before;
    ck_assert_msg(grown < 40 * LEVELS, "the derivative took %zu nodes for %d levels", grown,
                  LEVELS);
    /* the value, by the chain rule in floating point */
    double a = 0.3, da = 1;
    for (int i = 1; i <= LEVELS; i++) {
        double an = sin(a) * a + 1;
        da = (cos(a) * a + sin(a)) * da;
        a = an;
    }
    Point pt;
    tu_point(ctx, "x=0.3", &pt);
    tu_check_close("shared chain, interpreter", tu_eval(d, &pt), da, 1e-10, 1e-14);
    tu_check_close("shared chain, JIT", tu_jit_eval(d, &pt), da, 1e-10, 1e-14);
    free(src);
    sg_free(ctx);
}
END_TEST

/* A rule builds only what its result needs: d/dx sin(3*x) adds cos(3*x),
 * 3*cos(3*x) and the 0 and 1 that are the derivatives of 3 and x, and no
 * (3*x)^2 or -1/2 that only the inverse trig rules use (it used to add 9). */
START_TEST(t_no_garbage)
{
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, "sin(3*x)");
    Expr *x = tu_var(ctx, "x");
    size_t before = sg_node_count(ctx);
    Expr *d = deriv(ctx, f, x);
    char *text = tu_infix(d);
    ck_assert_str_eq(text, "3*cos(3*x)");
    free(text);
    ck_assert_uint_eq(sg_node_count(ctx) - before, 4);
    sg_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deriv");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, t_rule, 0, sizeof rules / sizeof rules[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("conventions");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, t_exact, 0, sizeof exact / sizeof exact[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("swell");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_tenth_derivative);
    tcase_add_test(tc, t_memoised);
    tcase_add_test(tc, t_shared_graph);
    tcase_add_test(tc, t_no_garbage);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
