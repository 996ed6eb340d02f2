/* test_limits.c - bad input never crashes, hangs or lies, at the library's
 * level: the graph's limits stop a blowup through the context's handler,
 * long chains differentiate without deep recursion and match the step-by-step
 * rule, a gradient in many variables stays small, constants that are not
 * finite print as text that reads back the same, and domain_explain names
 * the operation that made a value nan or infinite. */
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static jmp_buf on_limit_jump;
static SgLimitKind limit_kind;

static _Noreturn void on_limit(SgLimitKind kind, size_t limit)
{
    (void)limit;
    limit_kind = kind;
    longjmp(on_limit_jump, 1);
}

/* The derivative of e of order n in x, or NULL when a limit stopped it. */
static Expr *limited_deriv(SgCtx *ctx, Expr *e, Expr *x, int n)
{
    if (setjmp(on_limit_jump))
        return NULL;
    for (int i = 0; i < n; i++)
        e = deriv(ctx, e, x);
    return e;
}

static const struct {
    SgLimits lim;
    SgLimitKind kind;
} limits[] = {
    {{10000, 20000, 0}, SG_LIMIT_NODES},
    {{10000, 0, 4u << 20}, SG_LIMIT_BYTES},
};

START_TEST(t_limit_stops_blowup)
{
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, "x^x"), *x = tu_var(ctx, "x");
    sg_set_limits(ctx, &limits[_i].lim, on_limit);
    ck_assert_ptr_null(limited_deriv(ctx, f, x, 30));
    ck_assert_int_eq(limit_kind, limits[_i].kind);
    sg_free(ctx);
}
END_TEST

START_TEST(t_depth_limit_in_parser)
{
    SgCtx *ctx = sg_new();
    SgLimits lim = {5, 0, 0};
    sg_set_limits(ctx, &lim, on_limit);
    Expr *e;
    SgError err;
    ck_assert(tu_try_parse(ctx, "((((x))))", 9, &e, &err));
    ck_assert(!tu_try_parse(ctx, "((((((x))))))", 13, &e, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "--max-depth"));
    ck_assert_int_eq(err.col, 6);
    sg_free(ctx);
}
END_TEST

/* A chain 5,000 deep: one walk, the same canonical result as building
 * the product link by link. */
START_TEST(t_long_chain)
{
    enum { N = 5000 };
    SgCtx *ctx = sg_new();
    Expr *x = tu_var(ctx, "x"), *e = x;
    for (int i = 0; i < N; i++)
        e = expr_call1(ctx, i % 2 ? OP_SIN : OP_TANH, e);
    Expr *d = deriv(ctx, e, x);
    ck_assert_int_eq(d->op, OP_MUL);
    ck_assert_uint_eq(d->n, N);
    Expr *small = expr_call1(ctx, OP_SIN, expr_call1(ctx, OP_COS, x));
    tu_check_infix("d sin(cos(x))", deriv(ctx, small, x), "-cos(cos(x))*sin(x)");
    sg_free(ctx);
}
END_TEST

/* The gradient of a sum of squares in 3,000 variables: each partial is one
 * term, and the graph stays linear in the variables. */
START_TEST(t_wide_gradient)
{
    enum { N = 3000 };
    SgCtx *ctx = sg_new();
    Expr **v = malloc(N * sizeof *v), **t = malloc(N * sizeof *t);
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "v%d", i);
        v[i] = tu_var(ctx, name);
        t[i] = expr_pow(ctx, v[i], expr_int(ctx, 2));
    }
    Expr *f = expr_add_n(ctx, t, N);
    for (int i = 0; i < N; i++) {
        Expr *d = deriv(ctx, f, v[i]);
        ck_assert_ptr_eq(d, expr_mul(ctx, expr_int(ctx, 2), v[i]));
    }
    ck_assert_uint_lt(sg_node_count(ctx), 10 * N);
    free(v);
    free(t);
    sg_free(ctx);
}
END_TEST

static const char *const reread[] = {
    "1/0*x", "0/0*x", "x^(1/0)", "-x/0", "x^(-1/0)", "y*x^(-1/0)", "x - 1/0", "sin(1/0*x)",
};

START_TEST(t_nonfinite_prints_back)
{
    SgCtx *ctx = sg_new();
    char *a = tu_infix(tu_parse(ctx, reread[_i]));
    ck_assert_ptr_null(strstr(a, "inf"));
    ck_assert_ptr_null(strstr(a, "nan"));
    char *b = tu_infix(tu_parse(ctx, a));
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    sg_free(ctx);
}
END_TEST

static const struct {
    const char *f, *at, *why;
    int nan;
} domain[] = {
    {"log(x)", "x=-1", "log(-1) is outside its domain", 1},
    {"2 + sqrt(x)*y", "x=-4,y=1", "sqrt(-4) is outside its domain", 1},
    {"1/x + y", "x=0,y=1", "1/0 is a pole", 0},
    {"acosh(x)", "x=0.5", "acosh(0.5) is outside its domain", 1},
    {"exp(x)*2", "x=1000", "exp(1000) overflows", 0},
    {"x > 0 ? log(x) : 1", "x=2", NULL, 0},
    {"x > 0 ? 1 : log(x)", "x=2", NULL, 0},
    {"x > 0 ? log(-x) : 1", "x=2", "log(-2) is outside its domain", 1},
};

START_TEST(t_domain_explain)
{
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, domain[_i].f);
    Point pt;
    tu_point(ctx, domain[_i].at, &pt);
    Buf why = {0};
    double v = 0;
    int found = domain_explain(f, pt.vars, pt.vals, pt.n, sg_node_count(ctx), &why, &v);
    if (!domain[_i].why) {
        ck_assert_int_eq(found, 0);
    } else {
        ck_assert_int_eq(found, 1);
        ck_assert_str_eq(why.s, domain[_i].why);
        ck_assert_int_eq(isnan(v) != 0, domain[_i].nan);
    }
    buf_free(&why);
    sg_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, t_limit_stops_blowup, 0, sizeof limits / sizeof *limits);
    tcase_add_test(tc, t_depth_limit_in_parser);
    tcase_add_test(tc, t_long_chain);
    tcase_add_test(tc, t_wide_gradient);
    tcase_add_loop_test(tc, t_nonfinite_prints_back, 0, sizeof reread / sizeof *reread);
    tcase_add_loop_test(tc, t_domain_explain, 0, sizeof domain / sizeof *domain);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
