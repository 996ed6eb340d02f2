/* test_reverse.c - gradients by the reverse sweep (reverse.c): against
 * forward mode and central differences, through the JIT and the
 * interpreter; a node shared by many parents, a chain 100,000 deep, custom
 * grads, stop, ?: (the branch not taken stays unevaluated), the conventions
 * at ties, long products with a zero factor, the size of the result, and
 * Hessian-vector products against a difference of gradients. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* The gradient of src in vars (comma list) at the point, both ways: every
 * partial agrees to 1e-12, and with a central difference to 1e-7 unless fd
 * is 0 (at a kink the difference means nothing). */
static void check_both(const char *src, const char *vars, const char *at, int fd)
{
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, src), *wrt[TU_MAX_VARS], *fwd[TU_MAX_VARS], *rev[TU_MAX_VARS];
    size_t n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", vars);
    for (char *v = strtok(buf, ","); v; v = strtok(NULL, ","))
        wrt[n++] = tu_var(ctx, v);
    reverse_grad(ctx, f, wrt, n, rev);
    for (size_t i = 0; i < n; i++)
        fwd[i] = deriv(ctx, f, wrt[i]);
    Point pt;
    tu_point(ctx, at, &pt);
    double vf[TU_MAX_VARS], vr[TU_MAX_VARS];
    tu_jit_eval_n(fwd, n, &pt, vf);
    tu_jit_eval_n(rev, n, &pt, vr);
    for (size_t i = 0; i < n; i++) {
        char what[512];
        snprintf(what, sizeof what, "%s: d/d%s at %s, reverse against forward", src,
                 wrt[i]->name, at);
        tu_check_close(what, vr[i], vf[i], 1e-12, 1e-14);
        ck_assert_msg(isfinite(vr[i]), "%s: not finite (%g)", what, vr[i]);
        snprintf(what, sizeof what, "%s: d/d%s at %s, reverse (interpreter)", src,
                 wrt[i]->name, at);
        tu_check_close(what, tu_eval(rev[i], &pt), vr[i], 1e-12, 1e-14);
        if (fd) {
            double h = tu_step(tu_point_get(&pt, wrt[i]->name));
            snprintf(what, sizeof what, "%s: d/d%s at %s, reverse against a central difference",
                     src, wrt[i]->name, at);
            tu_check_close(what, vr[i], tu_central_diff(f, wrt[i], &pt, h), 1e-7, 1e-9);
        }
    }
    sg_free(ctx);
}

START_TEST(t_shared_node)
{
    /* u has five parents, and u*u two edges to one node */
    check_both("u = sin(x*y) + x; u*u + u^3 + exp(u)*y + log(1 + u^2) + u/y", "x,y",
               "x=0.3,y=1.7", 1);
    check_both("a = x*y; b = a + x; c = a*b; c*c + a*c + b", "x,y", "x=0.5,y=-1.25", 1);
}
END_TEST

START_TEST(t_custom_grad)
{
    /* the custom grad is used, not the body's: 3*u where the body says 2*u */
    check_both("def sq(u) = u^2 grad 3*u; sq(sin(x*y)) + y", "x,y", "x=0.4,y=0.9", 0);
    /* two parameters, and a body that uses a variable of the gradient itself */
    check_both("def m(u, v) = u*v*a grad (v*a, u*a); m(x^2, sin(y)) + a", "x,y,a",
               "x=0.7,y=0.2,a=1.5", 1);
}
END_TEST

START_TEST(t_stop)
{
    check_both("stop(x*y)*x + y*stop(x)", "x,y", "x=1.5,y=-2", 0);
    check_both("detach(exp(x))*sin(x)", "x", "x=0.25", 0);
}
END_TEST

/* ?: differentiates the branch taken; the other is not evaluated, also in
 * the backward pass: log(x) at x = -1 would make nan. */
START_TEST(t_select)
{
    check_both("x > 0 ? log(x)*y : y^2*x", "x,y", "x=-1,y=2", 1);
    check_both("x > 0 ? log(x)*y : y^2*x", "x,y", "x=2,y=3", 1);
    check_both("u = x*y; (u > 1 ? sqrt(u - 1) : 0) + (y < 0 ? log(-y) : u)", "x,y",
               "x=0.5,y=1", 1);
    check_both("z = x < 1 ? (y > 0 ? log(y)*x : x) : exp(x); z*z + z", "x,y", "x=0.5,y=-1", 1);
}
END_TEST

/* Ties follow the SPEC's conventions in both modes: min/max the first
 * argument, clamp slope 1 on the closed interval, abs'(0) = relu'(0) = 0. */
START_TEST(t_ties)
{
    check_both("min(x, y) + 2*max(x, y)", "x,y", "x=1,y=1", 0);
    check_both("clamp(x, lo, hi)", "x,lo,hi", "x=0,lo=0,hi=1", 0);
    check_both("clamp(x, lo, hi)", "x,lo,hi", "x=1,lo=0,hi=1", 0);
    check_both("clamp(x, lo, hi)", "x,lo,hi", "x=2,lo=0,hi=1", 0);
    check_both("abs(x)*y + relu(x)", "x,y", "x=0,y=3", 0);
    SgCtx *ctx = sg_new();
    Expr *x = tu_var(ctx, "x"), *y = tu_var(ctx, "y"), *wrt[2] = {x, y}, *g[2];
    reverse_grad(ctx, tu_parse(ctx, "min(x, y)"), wrt, 2, g);
    Point pt;
    tu_point(ctx, "x=1,y=1", &pt);
    ck_assert_double_eq(tu_eval(g[0], &pt), 1);
    ck_assert_double_eq(tu_eval(g[1], &pt), 0);
    sg_free(ctx);
}
END_TEST

/* Past eight factors the partial products are prefix and suffix products:
 * exact with a zero factor (no division by the product). */
START_TEST(t_long_product)
{
    const char *p = "x1*x2*x3*x4*x5*x6*x7*x8*x9*x10*x11*x12";
    check_both(p, "x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12",
               "x1=1.1,x2=1.2,x3=0,x4=1.4,x5=-1.5,x6=1.6,x7=1.7,x8=1.8,x9=1.9,x10=2,x11=2.1,"
               "x12=2.2", 1);
    check_both("sin(x1)*sin(x2)*sin(x3)*sin(x4)*sin(x5)*sin(x6)*sin(x7)*sin(x8)*sin(x9)*"
               "sin(x10)*exp(x1*x2)", "x1,x2,x5,x10",
               "x1=0.1,x2=0.2,x3=0.3,x4=0.4,x5=0.5,x6=0.6,x7=0.7,x8=0.8,x9=0.9,x10=1", 1);
}
END_TEST

/* The gradient of a product of n sines is O(n) nodes, not n^2. */
START_TEST(t_linear_size)
{
    enum { N = 4000 };
    SgCtx *ctx = sg_new();
    Expr **x = malloc(N * sizeof *x), **s = malloc(N * sizeof *s), **g = malloc(N * sizeof *g);
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        x[i] = expr_var(ctx, name, strlen(name));
        s[i] = expr_call1(ctx, OP_SIN, x[i]);
    }
    Expr *f = expr_mul_n(ctx, s, N);
    size_t before = sg_node_count(ctx);
    reverse_grad(ctx, f, x, N, g);
    size_t added = sg_node_count(ctx) - before;
    ck_assert_msg(added <= 8 * (size_t)N, "the gradient of %d sines added %zu nodes", N, added);
    free(x), free(s), free(g);
    sg_free(ctx);
}
END_TEST

/* A chain sin(sin(...sin(x))) 100,000 deep: the sweep does not recurse,
 * and the derivative is the product of the cosines along it. */
enum { CHAIN = 100000 };

static void *chain_job(void *arg)
{
    double *out = arg;
    SgCtx *ctx = sg_new();
    SgLimits lim = {CHAIN + 10, 0, 0};
    sg_set_limits(ctx, &lim, NULL);
    Expr *x = tu_var(ctx, "x"), *f = x, *g;
    for (int i = 0; i < CHAIN; i++)
        f = expr_call1(ctx, OP_SIN, f);
    size_t before = sg_node_count(ctx);
    reverse_grad(ctx, f, &x, 1, &g);
    out[2] = (double)(sg_node_count(ctx) - before);
    Point pt = {1, {x}, {0.5}};
    out[0] = tu_eval(g, &pt);
    out[1] = tu_eval(deriv(ctx, f, x), &pt);
    sg_free(ctx);
    return NULL;
}

START_TEST(t_deep_chain)
{
    double out[3], want = 1, u = 0.5;
    for (int i = 0; i < CHAIN; i++) {
        want *= cos(u);
        u = sin(u);
    }
    pthread_attr_t attr;
    pthread_t t;
    /* the sweep itself is iterative; the interpreter that checks it recurses */
    ck_assert(!pthread_attr_init(&attr) && !pthread_attr_setstacksize(&attr, (size_t)1 << 30));
    ck_assert(!pthread_create(&t, &attr, chain_job, out));
    pthread_join(t, NULL);
    tu_check_close("d/dx of 100,000 nested sines, reverse", out[0], want, 1e-9, 1e-300);
    tu_check_close("d/dx of 100,000 nested sines, forward", out[1], want, 1e-9, 1e-300);
    ck_assert_msg(out[2] <= 4.0 * CHAIN, "the gradient added %g nodes", out[2]);
}
END_TEST

/* H v by forward mode along v over the reverse gradient, against the
 * central difference (g(x + h v) - g(x - h v)) / 2h of the gradient. */
START_TEST(t_hvp)
{
    static const char *cases[] = {
        "100*(y - x^2)^2 + (1 - x)^2 + 100*(z - y^2)^2 + (1 - y)^2",
        "u = sin(x*y) + z; log(1 + u^2) + exp(x - z)*u + x*y*z",
        "x > 0 ? x^3*y + z^2 : sin(y*z)",
        "x*y*z*sin(x)*sin(y)*sin(z)*cos(x*y)*exp(z/3)*(1 + x^2)*(2 + y)",
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        SgCtx *ctx = sg_new();
        Expr *f = tu_parse(ctx, cases[c]), *wrt[3] = {tu_var(ctx, "x"), tu_var(ctx, "y"),
                                                       tu_var(ctx, "z")};
        Expr *g[3], *tan[3], *hv[3];
        reverse_grad(ctx, f, wrt, 3, g);
        for (int i = 0; i < 3; i++) {
            char name[8];
            snprintf(name, sizeof name, "v%d", i);
            tan[i] = tu_var(ctx, name);
        }
        Expr *dir = sg_direction(ctx, wrt, tan, 3);
        for (int i = 0; i < 3; i++)
            hv[i] = deriv(ctx, g[i], dir);
        double x[3] = {0.7, -0.4, 1.3}, v[3] = {0.3, -1.1, 0.6}, h = 1e-5;
        Point pt = {6, {wrt[0], wrt[1], wrt[2], tan[0], tan[1], tan[2]},
                    {x[0], x[1], x[2], v[0], v[1], v[2]}};
        double got[3], hi[3], lo[3];
        tu_jit_eval_n(hv, 3, &pt, got);
        for (int i = 0; i < 3; i++)
            pt.vals[i] = x[i] + h * v[i];
        tu_jit_eval_n(g, 3, &pt, hi);
        for (int i = 0; i < 3; i++)
            pt.vals[i] = x[i] - h * v[i];
        tu_jit_eval_n(g, 3, &pt, lo);
        for (int i = 0; i < 3; i++) {
            char what[300];
            snprintf(what, sizeof what, "(H v)[%d] of %s", i, cases[c]);
            tu_check_close(what, got[i], (hi[i] - lo[i]) / (2 * h), 1e-6, 1e-6);
        }
        sg_free(ctx);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reverse");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_shared_node);
    tcase_add_test(tc, t_custom_grad);
    tcase_add_test(tc, t_stop);
    tcase_add_test(tc, t_select);
    tcase_add_test(tc, t_ties);
    tcase_add_test(tc, t_long_product);
    tcase_add_test(tc, t_linear_size);
    tcase_add_test(tc, t_deep_chain);
    tcase_add_test(tc, t_hvp);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
