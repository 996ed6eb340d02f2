/* test_simplify.c - the canonical form the constructors build: constant
 * folding, identities, like terms, canonical order, hash-consing, the fewest
 * parentheses in print, and the derivatives every tutorial starts with.
 * Every expected text below was worked out by hand. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct {
    const char *src;
    const char *want;
} Case;

static const Case golden[] = {
    /* naive forms that overflow or cancel, rewritten as they are built */
    {"log(1 + exp(x))", "softplus(x)"},
    {"log1p(exp(x))", "softplus(x)"},
    {"exp(x)/(1 + exp(x))", "sigmoid(x)"},
    {"1/(1 + exp(-x))", "sigmoid(x)"},
    {"1 - sigmoid(x)", "sigmoid(-x)"},
    {"sqrt(x^2 + y^2)", "hypot(x, y)"},
    {"sqrt(x^2 + 1)", "hypot(x, 1)"},
    {"1/sqrt(x^2 + y^2)", "1/hypot(x, y)"},
    {"sqrt(x^2 + 2)", "sqrt(x^2 + 2)"},
    {"log(1 + x)", "log1p(x)"},
    {"log(1 - p)", "log1p(-p)"},
    {"exp(x) - 1", "expm1(x)"},
    {"log1p(expm1(x))", "x"},
    {"1 + expm1(x)", "exp(x)"},
    {"sinh(x)/cosh(x)", "tanh(x)"},
    {"sinh(x)/cosh(x)^3", "tanh(x)/cosh(x)^2"},
    {"1 - tanh(x)^2", "1/cosh(x)^2"},
    {"2 - tanh(x)^2", "2 - tanh(x)^2"},
    /* constant folding; exact rationals stay exact */
    {"2 + 3", "5"},
    {"2*3 + 4", "10"},
    {"2^10", "1024"},
    {"1/3", "1/3"},
    {"1/3 + 1/6", "1/2"},
    {"2/4", "1/2"},
    {"6/3", "2"},
    {"1/3*3", "1"},
    {"0.5 + 0.25", "0.75"},
    {"0.1 + 0.2", "0.30000000000000004"},
    {"2^0.5", "1.4142135623730951"},
    {"sqrt(4)", "2"},
    {"sqrt(2)", "sqrt(2)"},
    {"8^(1/3)", "2"},
    {"4^(-1/2)", "1/2"},
    {"(4/9)^(1/2)", "2/3"},
    {"sin(0)", "0"},
    {"cos(0)", "1"},
    {"exp(0)", "1"},
    {"log(1)", "0"},
    {"log(e)", "1"},
    {"abs(-3)", "3"},
    {"abs(-1/2)", "1/2"},
    {"min(2, 3)", "2"},
    {"max(2, 3)", "3"},
    {"clamp(5, 0, 1)", "1"},
    {"sign(-2)", "-1"},
    {"floor(7/2)", "3"},
    {"ceil(7/2)", "4"},
    {"2 < 3", "1"},
    {"3 < 2", "0"},
    {"1 && 0", "0"},
    {"1 ? x : y", "x"},
    {"0 ? x : y", "y"},
    {"c ? x : x", "x"},
    {"stop(2)", "2"},
    /* identities */
    {"x*1", "x"},
    {"1*x", "x"},
    {"x + 0", "x"},
    {"0 + x", "x"},
    {"x*0", "0"},
    {"0*x", "0"},
    {"0*sin(x)", "0"},
    {"x^1", "x"},
    {"x^0", "1"},
    {"x - x", "0"},
    {"x/x", "1"},
    {"x*1.0", "x"},
    {"x + 0.0", "x"},
    {"x^2^-1", "sqrt(x)"},
    /* like terms and like bases */
    {"2*x + 3*x", "5*x"},
    {"x + x", "2*x"},
    {"x - 2*x", "-x"},
    {"x + y + x", "2*x + y"},
    {"2*x*y - y*x", "x*y"},
    {"3*(x + 1) - 3*x", "3"},
    {"x*x", "x^2"},
    {"x*x*x", "x^3"},
    {"x^2*x^3", "x^5"},
    {"x^2/x", "x"},
    {"x^y*x", "x^(y + 1)"},
    {"x^a*x^b", "x^(a + b)"},
    {"(x^2)^3", "x^6"},
    {"(2*x)^2", "4*x^2"},
    {"(x*y)^-1", "1/(x*y)"},
    {"(x + 1)*(x + 1)", "(x + 1)^2"},
    {"2*(x + 1)", "2*x + 2"},
    {"-(x + 1)/2", "-x/2 - 1/2"},
    {"exp(x)^2", "exp(2*x)"},
    {"e^x", "exp(x)"},
    {"log(exp(x))", "x"},
    {"abs(abs(x))", "abs(x)"},
    {"stop(stop(x))", "stop(x)"},
    /* canonical order: a + b and b + a print the same */
    {"a + b", "a + b"},
    {"b + a", "a + b"},
    {"b*a", "a*b"},
    {"c*b*a", "a*b*c"},
    {"1 + x + x^2", "x^2 + x + 1"},
    {"x^3 + 2 + x", "x^3 + x + 2"},
    {"y + x^2 + x", "x^2 + x + y"},
    {"1 - x", "1 - x"},
    {"-x + 1", "1 - x"},
    {"-y - x", "-x - y"},
    {"sin(x) + x", "x + sin(x)"},
    {"sin(x) + cos(x)", "cos(x) + sin(x)"},
    /* the fewest parentheses that keep the meaning */
    {"((x))", "x"},
    {"sin((x))", "sin(x)"},
    {"(a*b) + c", "a*b + c"},
    {"a*(b + c)", "a*(b + c)"},
    {"(a + b)/(c + d)", "(a + b)/(c + d)"},
    {"a - (b + c)", "a - b - c"},
    {"-(x^2)", "-x^2"},
    {"-(-x)", "x"},
    {"x*(-1)", "-x"},
    {"(-1)^x", "(-1)^x"},
    {"(2*x)^y", "(2*x)^y"},
    {"(x + 1)^(y + 1)", "(x + 1)^(y + 1)"},
    {"x^(y^z)", "x^y^z"},
    {"(x^y)^z", "(x^y)^z"},
    {"x/(2*y)", "x/(2*y)"},
    {"1/x^2", "1/x^2"},
    {"x^-2", "1/x^2"},
    {"x^(1/2)", "sqrt(x)"},
    {"x^(1/3)", "x^(1/3)"},
    {"x^(-1/3)", "1/x^(1/3)"},
    {"x^(-3/2)", "1/x^(3/2)"},
    {"y*x^(-5/2)", "y/x^(5/2)"},
    {"x^-1.5*y", "y/x^1.5"},
    {"2*x^2", "2*x^2"},
    {"(a < b) ? (x + 1) : (y*2)", "a < b ? x + 1 : 2*y"},
};

START_TEST(t_golden)
{
    const Case *c = &golden[_i];
    SgCtx *ctx = sg_new();
    Expr *e = tu_parse(ctx, c->src);
    tu_check_infix(c->src, e, c->want);
    /* the printed form means the same: it reads back as the same node */
    ck_assert_msg(tu_parse(ctx, c->want) == e, "\"%s\" does not read back as %s", c->want,
                  c->src);
    sg_free(ctx);
}
END_TEST

/* Structurally equal expressions are one node (same), or are not (differ:
 * min/max ties and atan2 depend on argument order). */
static const struct {
    const char *a, *b;
    int same;
} pairs[] = {
    {"a+b", "b+a", 1},
    {"x*y*2", "2*y*x", 1},
    {"(x+1)*(x+1)", "(x+1)^2", 1},
    {"x - y", "-y + x", 1},
    {"x/y", "x*y^-1", 1},
    {"sqrt(x)", "x^(1/2)", 1},
    {"detach(x)", "stop(x)", 1},
    {"pow(x, 2)", "x**2", 1},
    {"sin(a+b)*c", "c*sin(b+a)", 1},
    {"x - y", "y - x", 0},
    {"x/y", "y/x", 0},
    {"x^y", "y^x", 0},
    {"min(x, y)", "min(y, x)", 0},
    {"max(x, y)", "max(y, x)", 0},
    {"atan2(y, x)", "atan2(x, y)", 0},
    {"x < y", "y < x", 0},
    {"a ? b : c", "a ? c : b", 0},
};

START_TEST(t_hash_consing)
{
    SgCtx *ctx = sg_new();
    Expr *a = tu_parse(ctx, pairs[_i].a);
    Expr *b = tu_parse(ctx, pairs[_i].b);
    if (pairs[_i].same) {
        ck_assert_msg(a == b, "\"%s\" and \"%s\" are different nodes", pairs[_i].a,
                      pairs[_i].b);
        /* once both spellings are known, a third parse adds no node */
        size_t mid = sg_node_count(ctx);
        ck_assert(tu_parse(ctx, pairs[_i].b) == b);
        ck_assert_uint_eq(sg_node_count(ctx), mid);
    } else {
        ck_assert_msg(a != b, "\"%s\" and \"%s\" were merged", pairs[_i].a, pairs[_i].b);
    }
    sg_free(ctx);
}
END_TEST

/* A number is one node however it is made: the rules' small integers
 * (kept aside for speed) and the parser's are the same nodes. */
START_TEST(t_numbers_one_node)
{
    SgCtx *ctx = sg_new();
    Expr *two = tu_parse(ctx, "2");
    ck_assert(expr_int(ctx, 2) == two);
    ck_assert(expr_rat(ctx, 4, 2) == two);
    ck_assert(expr_int(ctx, -1) == expr_rat(ctx, 3, -3));
    ck_assert(tu_parse(ctx, "-1") == expr_int(ctx, -1));
    ck_assert(expr_int(ctx, 9) == tu_parse(ctx, "9"));
    ck_assert(expr_int(ctx, 0) == tu_parse(ctx, "0*1"));
    sg_free(ctx);
}
END_TEST

/* The classic first derivatives, as text and as numbers. */
static const struct {
    const char *f, *wrt, *want, *at;
    double value; /* the derivative at `at`, by hand */
} seeds[] = {
    {"x^2 + 2*x + 1", "x", "2*x + 2", "x=2", 6},
    {"2*x^3 + x", "x", "6*x^2 + 1", "x=2", 25},
    {"sin(x^2)", "x", "2*x*cos(x^2)", "x=4", -7.661275842587077},
    {"u*v + u^2", "u", "2*u + v", "u=3,v=5", 11},
    {"u*v + u^2", "v", "u", "u=3,v=5", 3},
    {"x^2", "x", "2*x", "x=2", 4},
    {"x*y*z", "y", "x*z", "x=2,y=3,z=5", 10},
    {"3*x - 5", "x", "3", "x=7", 3},
    {"exp(2*x)", "x", "2*exp(2*x)", "x=0", 2},
    {"log(x)", "x", "1/x", "x=4", 0.25},
    {"1/x", "x", "-1/x^2", "x=2", -0.25},
    {"1/sqrt(x)", "x", "-1/(2*x^(3/2))", "x=4", -0.0625},
};

START_TEST(t_seed_derivatives)
{
    SgCtx *ctx = sg_new();
    Expr *f = tu_parse(ctx, seeds[_i].f);
    Expr *d = tu_deriv(ctx, f, seeds[_i].wrt, 1);
    char what[128];
    snprintf(what, sizeof what, "d/d%s %s", seeds[_i].wrt, seeds[_i].f);
    tu_check_infix(what, d, seeds[_i].want);
    Point pt;
    tu_point(ctx, seeds[_i].at, &pt);
    tu_check_close(what, tu_eval(d, &pt), seeds[_i].value, 1e-15, 1e-15);
    Expr *v = tu_var(ctx, seeds[_i].wrt);
    double h = tu_step(tu_point_get(&pt, seeds[_i].wrt));
    tu_check_close(what, tu_central_diff(f, v, &pt, h), seeds[_i].value, 1e-8, 1e-10);
    sg_free(ctx);
}
END_TEST

/* Simplification preserves values: each golden input, where its variables
 * take a few values, equals a direct computation written by hand. */
static double direct(int k, double x, double y)
{
    switch (k) {
    case 0: return 2 * x + 3 * x;
    case 1: return pow(x * x, 3);
    case 2: return -(x + 1) / 2;
    case 3: return pow(exp(x), 2);
    case 4: return 3 * (x + 1) - 3 * x;
    case 5: return (x + 1) * (x + 1) - (x * x + 2 * x + 1);
    case 6: return pow(x, y) * x;
    default: return pow(x * y, -1);
    }
}

START_TEST(t_values_preserved)
{
    static const char *src[] = {
        "2*x + 3*x", "(x^2)^3", "-(x + 1)/2", "exp(x)^2", "3*(x + 1) - 3*x",
        "(x + 1)*(x + 1) - (x^2 + 2*x + 1)", "x^y*x", "(x*y)^-1",
    };
    static const double xs[] = {0.3, 1.7, 2.5}, ys[] = {-0.4, 2, 0.9};
    SgCtx *ctx = sg_new();
    Expr *e = tu_parse(ctx, src[_i]);
    for (int i = 0; i < 3; i++) {
        Point pt = {2, {tu_var(ctx, "x"), tu_var(ctx, "y")}, {xs[i], ys[i]}};
        tu_check_close(src[_i], tu_eval(e, &pt), direct(_i, xs[i], ys[i]), 1e-14, 1e-14);
    }
    sg_free(ctx);
}
END_TEST

/* A sum is one node whatever order its terms come in: sorted, reversed,
 * in runs (w1..w9 then w10.. is sorted by name in a few long runs), in
 * three runs, shuffled, or sorted with a few added at the end. */
START_TEST(t_sum_order)
{
    enum { N = 300 };
    SgCtx *ctx = sg_new();
    Expr *terms[N], *v[N];
    for (int k = 0; k < N; k++) {
        char name[16];
        int len = snprintf(name, sizeof name, "w%d", k + 1);
        terms[k] = expr_mul(ctx, expr_int(ctx, k % 7 + 2), expr_var(ctx, name, (size_t)len));
    }
    Expr *want = expr_add_n(ctx, terms, N); /* numeric order: runs by name */
    for (int arrangement = 0; arrangement < 5; arrangement++) {
        unsigned seed = 12345;
        for (int k = 0; k < N; k++) {
            switch (arrangement) {
            case 0: v[k] = terms[N - 1 - k]; break;                /* reversed */
            case 1: v[k] = terms[(k + 2 * N / 3) % N]; break;      /* rotated: runs */
            case 2: v[k] = terms[k < N / 3 ? k + 2 * N / 3 : k < 2 * N / 3 ? k : k - 2 * N / 3]; break;
            case 3: v[k] = terms[k]; break;                         /* shuffled below */
            case 4: v[k] = want->args[k < N - 3 ? k + 3 : k - (N - 3)]; break; /* 3 moved last */
            }
        }
        if (arrangement == 3)
            for (int k = N - 1; k > 0; k--) {
                seed = seed * 1103515245u + 12345u;
                int j = (int)((seed >> 8) % (unsigned)(k + 1));
                Expr *t = v[k];
                v[k] = v[j], v[j] = t;
            }
        ck_assert_msg(expr_add_n(ctx, v, N) == want, "arrangement %d gives another sum", arrangement);
    }
    /* and the sorted order is the one a sum prints in: by name */
    for (uint32_t k = 1; k < want->n; k++)
        ck_assert_msg(strcmp(want->args[k - 1]->args[1]->name, want->args[k]->args[1]->name) < 0,
                      "%s before %s", want->args[k - 1]->args[1]->name, want->args[k]->args[1]->name);
    sg_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("simplify");
    TCase *tc = tcase_create("golden");
    tcase_add_loop_test(tc, t_golden, 0, sizeof golden / sizeof golden[0]);
    tcase_add_loop_test(tc, t_values_preserved, 0, 8);
    suite_add_tcase(s, tc);
    tc = tcase_create("hash-consing");
    tcase_add_loop_test(tc, t_hash_consing, 0, sizeof pairs / sizeof pairs[0]);
    tcase_add_test(tc, t_numbers_one_node);
    tcase_add_test(tc, t_sum_order);
    suite_add_tcase(s, tc);
    tc = tcase_create("seeds");
    tcase_add_loop_test(tc, t_seed_derivatives, 0, sizeof seeds / sizeof seeds[0]);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
