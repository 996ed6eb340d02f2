/* test_parse.c - the scalar language of SPEC section 2 read and printed back
 * ({input, expected infix}), and bad input rejected at the right line and
 * column with a useful message ({input, line, column, message part}). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct {
    const char *src;
    const char *want;
} Case;

static const Case good[] = {
    /* numbers and constants */
    {"2", "2"},
    {"2.5", "2.5"},
    {".5", "0.5"},
    {"2.", "2"},
    {"007", "7"},
    {"1e-8", "1e-8"},
    {"6.7E+3", "6700"},
    {"2.5e3*x", "2500*x"},
    {"x + 20.0", "x + 20"},
    {"1/3", "1/3"},
    {"pi", "pi"},
    {"e", "e"},
    {"2*pi*e", "2*e*pi"},
    /* names that only look like functions or constants are variables */
    {"x_1 + _y", "_y + x_1"},
    {"sinx + exp2", "exp2 + sinx"},
    {"epsilon*pi2", "epsilon*pi2"},
    /* ?: is loosest and right-associative */
    {"a ? b : c", "a ? b : c"},
    {"a ? b : c ? d : f", "a ? b : c ? d : f"},
    {"(a ? b : c) ? d : f", "(a ? b : c) ? d : f"},
    {"a ? b ? c : d : f", "a ? b ? c : d : f"},
    {"x > 0 ? x : -x", "x > 0 ? x : -x"},
    {"a || b ? c : d", "a || b ? c : d"},
    /* || looser than && looser than comparisons looser than + */
    {"a || b && c", "a || b && c"},
    {"a && b || c", "a && b || c"},
    {"(a || b) && c", "(a || b) && c"},
    {"a < b", "a < b"},
    {"a <= b", "a <= b"},
    {"a > b", "a > b"},
    {"a >= b", "a >= b"},
    {"a == b", "a == b"},
    {"a != b", "a != b"},
    {"a + 1 < b*2", "a + 1 < 2*b"},
    {"a < b && b < c", "a < b && b < c"},
    {"(a < b) + 1", "(a < b) + 1"},
    {"a == (b < c)", "a == (b < c)"},
    /* + - * / */
    {"a + b*c", "a + b*c"},
    {"(a + b)*c", "c*(a + b)"},
    {"a - b - c", "a - b - c"},
    {"a - (b - c)", "a - b + c"},
    {"a*b/c", "a*b/c"},
    {"a/b/c", "a/(b*c)"},
    {"a/(b/c)", "a*c/b"},
    /* unary minus and plus */
    {"-x", "-x"},
    {"+x", "x"},
    {"--x", "x"},
    {"-+-x", "x"},
    {"-(a + b)", "-a - b"},
    /* ^ and ** : right-associative, tighter than unary minus */
    {"-x^2", "-x^2"},
    {"-x**2", "-x^2"},
    {"(-x)^2", "x^2"},
    {"-2^2", "-4"},
    {"(-2)^2", "4"},
    {"x**3", "x^3"},
    {"2^-x", "2^(-x)"},
    {"2^-1", "1/2"},
    {"x^-1", "1/x"},
    {"2^3^2", "512"},
    {"(2^3)^2", "64"},
    {"x^y^z", "x^y^z"},
    {"x**y**z", "x^y^z"},
    {"x^y**z", "x^y^z"},
    {"(x^y)^z", "(x^y)^z"},
    /* every function */
    {"sin(x)", "sin(x)"},
    {"cos(x)", "cos(x)"},
    {"tan(x)", "tan(x)"},
    {"asin(x)", "asin(x)"},
    {"acos(x)", "acos(x)"},
    {"atan(x)", "atan(x)"},
    {"sinh(x)", "sinh(x)"},
    {"cosh(x)", "cosh(x)"},
    {"tanh(x)", "tanh(x)"},
    {"asinh(x)", "asinh(x)"},
    {"acosh(x)", "acosh(x)"},
    {"atanh(x)", "atanh(x)"},
    {"exp(x)", "exp(x)"},
    {"log(x)", "log(x)"},
    {"log2(x)", "log2(x)"},
    {"log10(x)", "log10(x)"},
    {"log1p(x)", "log1p(x)"},
    {"expm1(x)", "expm1(x)"},
    {"sqrt(x)", "sqrt(x)"},
    {"cbrt(x)", "cbrt(x)"},
    {"abs(x)", "abs(x)"},
    {"sign(x)", "sign(x)"},
    {"floor(x)", "floor(x)"},
    {"ceil(x)", "ceil(x)"},
    {"sigmoid(x)", "sigmoid(x)"},
    {"softplus(x)", "softplus(x)"},
    {"relu(x)", "relu(x)"},
    {"erf(x)", "erf(x)"},
    {"erfc(x)", "erfc(x)"},
    {"pow(x, y)", "x^y"},
    {"atan2(y, x)", "atan2(y, x)"},
    {"hypot(x, y)", "hypot(x, y)"},
    {"min(x, y)", "min(x, y)"},
    {"max(x, y)", "max(x, y)"},
    {"clamp(x, a, b)", "clamp(x, a, b)"},
    {"stop(x)", "stop(x)"},
    {"detach(x)", "stop(x)"},
    {"sin(cos(x))^2", "sin(cos(x))^2"},
    {"exp(-x)", "exp(-x)"},
    {"max(x,y)+min(x+1,2*y)", "max(x, y) + min(x + 1, 2*y)"},
    /* programs */
    {"x = 2; x*y", "2*y"},
    {"a = x^2; b = a + 1", "x^2 + 1"},
    {"a = x + 1\na*a", "(x + 1)^2"},
    {"t = x*y; t + t^2", "x^2*y^2 + x*y"},
    {"x = 1; y = 2", "2"},
    {"x + 1; a = 2", "x + 1"},
    {"# comment\nx + 1 # trailing comment", "x + 1"},
    {"x;", "x"},
    {";;x;;", "x"},
    {"\n\nx\n\n", "x"},
    {"y = 3\r\nx*y\r\n", "3*x"},
    {"(x +\n1)", "x + 1"},
    {"max(x,\n    y)", "max(x, y)"},
    {"z = w*x + b; p = clamp(sigmoid(z), 1e-8, 1 - 1e-8); -y*log(p) - (1-y)*log(1-p)",
     "-y*log(clamp(sigmoid(b + w*x), 1e-8, 0.99999999)) - "
     "log1p(-clamp(sigmoid(b + w*x), 1e-8, 0.99999999))*(1 - y)"},
    /* user functions */
    {"def sq(u) = u^2; sq(x + 1)", "(x + 1)^2"},
    {"def sq(u) = u^2\nsq(sq(x))", "x^4"},
    {"def f(u) = u + a; f(x)", "a + x"},
    {"def f(u, v) = u*v; f(x, 2)", "2*x"},
    {"def sq(u) = u^2 grad 2*u; sq(x)", "sq(x)"},
    {"def f(u, v) = u*v grad (v, u); f(x, y)", "f(x, y)"},
};

START_TEST(t_good)
{
    const Case *c = &good[_i];
    SgCtx *ctx = sg_new();
    Expr *e = tu_parse(ctx, c->src);
    tu_check_infix(c->src, e, c->want);
    /* printing is idempotent: what is printed reads back and prints the same
     * (a call of a def with a custom gradient needs its def: left out) */
    if (!strstr(c->src, "grad")) {
        char *again = tu_infix(e);
        tu_check_infix(again, tu_parse(ctx, again), again);
        free(again);
    }
    sg_free(ctx);
}
END_TEST

typedef struct {
    const char *src;
    size_t len;       /* 0: strlen(src) */
    int line, col;    /* 0, 0: no position applies */
    const char *part; /* a part of the message */
} Bad;

static const Bad bad[] = {
    /* unbalanced parentheses: the column after the '(' that is left open */
    {"sin(x^2", 0, 1, 5, "expected ')' to close '(' opened at 1:4"},
    {"(x", 0, 1, 2, "expected ')' to close '(' opened at 1:1"},
    {"((x)", 0, 1, 2, "expected ')' to close '(' opened at 1:1"},
    {"x*(y + (z - 1)", 0, 1, 4, "expected ')' to close '(' opened at 1:3"},
    {"x\n(y +\n z", 0, 2, 2, "expected ')' to close '(' opened at 2:1"},
    {"sin(x, y", 0, 1, 5, "expected ')' to close '(' opened at 1:4"},
    {"x)", 0, 1, 2, "')'"},
    {"x +", 0, 1, 4, "expected"},
    {"x\ny +", 0, 2, 4, "expected"},
    {"sin(,x)", 0, 1, 5, "expected"},
    {"2 ** * 3", 0, 1, 6, "expected"},
    {"x y", 0, 1, 3, "expected an operator"},
    {"x @ y", 0, 1, 3, "'@'"},
    {"x & y", 0, 1, 3, "'&'"},
    {"x ? y", 0, 1, 6, "':'"},
    {"= 3", 0, 1, 1, "expected"},
    {"x = ", 0, 1, 5, "expected"},
    /* unknown functions, with a suggestion when one is close */
    {"sinn(x)", 0, 1, 1, "did you mean 'sin'?"},
    {"sqr(x)", 0, 1, 1, "did you mean 'sqrt'?"},
    {"sigmod(x)", 0, 1, 1, "did you mean 'sigmoid'?"},
    {"x + foo(1)", 0, 1, 5, "unknown function 'foo'"},
    {"f(x)", 0, 1, 1, "unknown function 'f'"},
    {"def square(u) = u^2; squar(x)", 0, 1, 22, "did you mean 'square'?"},
    /* wrong argument counts */
    {"sin(x, y)", 0, 1, 1, "sin() takes 1 argument, got 2"},
    {"sin()", 0, 1, 1, "sin() takes 1 argument, got 0"},
    {"pow(x)", 0, 1, 1, "pow() takes 2 arguments, got 1"},
    {"atan2(x)", 0, 1, 1, "atan2() takes 2 arguments, got 1"},
    {"clamp(x, 1)", 0, 1, 1, "clamp() takes 3 arguments, got 2"},
    {"def f(u, v) = u*v; f(x)", 0, 1, 20, "f() takes 2 arguments, got 1"},
    {"sin x", 0, 1, 1, "'sin' is a function"},
    /* malformed numbers: at the start of the number */
    {"1e", 0, 1, 1, "malformed number"},
    {"1e+", 0, 1, 1, "malformed number"},
    {"2.5e-", 0, 1, 1, "malformed number"},
    {"1.2.3", 0, 1, 1, "malformed number"},
    {"x + 1.5x", 0, 1, 5, "malformed number"},
    {"0x10", 0, 1, 1, "malformed number"},
    /* bytes that are not text */
    {"\xff", 0, 1, 1, "not text"},
    {"\x01", 0, 1, 1, "not text"},
    {"x + \x01", 0, 1, 5, "not text"},
    {"x\n\xff", 0, 2, 1, "not text"},
    {"# \xff\nx", 0, 1, 3, "not text"},
    {"x\0y", 3, 1, 2, "not text"},
    {"\xc3\x28", 0, 1, 1, "not text"},
    /* nothing to compute */
    {"", 0, 0, 0, "nothing to differentiate"},
    {"  \n# only a comment\n", 0, 0, 0, "nothing to differentiate"},
    /* built-in names cannot be rebound */
    {"sin = 3", 0, 1, 1, "cannot use 'sin'"},
    {"pi = 3", 0, 1, 1, "cannot use 'pi'"},
    {"x = 1\nexp = 2", 0, 2, 1, "cannot use 'exp'"},
    {"def sin(u) = u", 0, 1, 5, "cannot use 'sin'"},
    {"def f(pi) = 1", 0, 1, 7, "cannot use 'pi'"},
    {"def f() = 1", 0, 1, 7, "parameter"},
    {"def f(u, v) = u grad 1; f(x, y)", 0, 1, 17, "grad needs 2 partials, got 1"},
};

START_TEST(t_bad)
{
    const Bad *c = &bad[_i];
    size_t len = c->len ? c->len : strlen(c->src);
    SgCtx *ctx = sg_new();
    Expr *e = NULL;
    SgError err;
    memset(&err, 0x55, sizeof err);
    int ok = tu_try_parse(ctx, c->src, len, &e, &err);
    ck_assert_msg(!ok, "case %d: bad input was accepted", _i);
    err.msg[sizeof err.msg - 1] = 0;
    ck_assert_msg(err.line == c->line && err.col == c->col,
                  "case %d: error at %d:%d (\"%s\"), expected %d:%d", _i, err.line, err.col,
                  err.msg, c->line, c->col);
    ck_assert_msg(strstr(err.msg, c->part), "case %d: message \"%s\" lacks \"%s\"", _i,
                  err.msg, c->part);
    sg_free(ctx);
}
END_TEST

/* A number that ends the input at a buffer boundary is not read past it. */
START_TEST(t_length_respected)
{
    SgCtx *ctx = sg_new();
    Expr *e = NULL;
    SgError err;
    const char *src = "12345";
    ck_assert(tu_try_parse(ctx, src, 2, &e, &err));
    tu_check_infix("first two bytes of 12345", e, "12");
    ck_assert(tu_try_parse(ctx, "x + 1e5", 6, &e, &err) == 0); /* "x + 1e" */
    ck_assert_msg(err.line == 1 && err.col == 5, "error at %d:%d", err.line, err.col);
    sg_free(ctx);
}
END_TEST

/* Parser precedence checked numerically: the value, not only the text. */
START_TEST(t_precedence_values)
{
    static const struct { const char *src; double want; } v[] = {
        {"-2^2", -4}, {"2^-1", 0.5}, {"2^3^2", 512}, {"2**3**2", 512}, {"-2**-2", -0.25},
        {"1 + 2*3", 7}, {"(1 + 2)*3", 9}, {"8/4/2", 1}, {"2 - 3 - 4", -5},
        {"1 < 2 == 1", 1}, {"0 || 1 && 0", 0}, {"1 ? 2 : 3 ? 4 : 5", 2},
        {"0 ? 2 : 0 ? 4 : 5", 5}, {"1 + 1 > 1 ? 10 : 20", 10}, {"6.7E+3", 6700},
        {".5 + 1e-8", 0.50000001}, {"-3^2 + 10", 1}, {"e", 2.718281828459045},
        {"pi", 3.141592653589793},
    };
    SgCtx *ctx = sg_new();
    Point none = {0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        Expr *e = tu_parse(ctx, v[i].src);
        tu_check_close(v[i].src, tu_eval(e, &none), v[i].want, 1e-15, 0);
    }
    sg_free(ctx);
}
END_TEST

static char *nest(const char *open, int depth, const char *mid, const char *close)
{
    size_t lo = strlen(open), lc = strlen(close), lm = strlen(mid);
    char *s = malloc((lo + lc) * (size_t)depth + lm + 1), *p = s;
    for (int i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, mid, lm);
    p += lm;
    for (int i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    *p = 0;
    return s;
}

/* Moderate nesting parses. */
START_TEST(t_nesting_ok)
{
    SgCtx *ctx = sg_new();
    char *s = nest("(", 1000, "x", ")");
    tu_check_infix("1000 parentheses", tu_parse(ctx, s), "x");
    free(s);
    s = nest("-", 100001, "x", "");
    tu_check_infix("100001 minus signs", tu_parse(ctx, s), "-x");
    free(s);
    s = nest("abs(", 500, "x", ")");
    tu_check_infix("abs(abs(...))", tu_parse(ctx, s), "abs(x)");
    free(s);
    sg_free(ctx);
}
END_TEST

/* Deep nesting is either parsed or a clear error; never a crash. */
START_TEST(t_nesting_deep)
{
    static const struct { const char *open, *close; int depth; } d[] = {
        {"(", ")", 9000}, {"sin(", ")", 9000}, {"(", ")", 100000}, {"-(", ")", 50000},
    };
    SgCtx *ctx = sg_new();
    char *s = nest(d[_i].open, d[_i].depth, "x", d[_i].close);
    Expr *e = NULL;
    SgError err;
    if (!tu_try_parse(ctx, s, strlen(s), &e, &err))
        ck_assert_msg(strstr(err.msg, "nested") && err.line == 1 && err.col > 1,
                      "depth %d: unclear error %d:%d %s", d[_i].depth, err.line, err.col,
                      err.msg);
    else
        ck_assert(e != NULL);
    free(s);
    sg_free(ctx);
}
END_TEST

/* A binding that grows a sum line by line (`a = a + t`) keeps its terms in
 * a list rather than building a new sum each line; whatever uses it must see
 * exactly the sum written out at once. */
static const struct {
    const char *program, *same_as;
} sums[] = {
    {"a = x\na = a + x^2\na = a - 3\na", "x + x^2 - 3"},
    {"a = x + 1\na = a + y\na = a + 2*x\na", "3*x + y + 1"},
    {"a = x + 1\na = a + y\na = a + 2*x", "3*x + y + 1"}, /* the last binding */
    {"a = x + 1\na = a + a", "2*x + 2"},
    {"a = x + 1\na = 2*a + 1", "2*x + 3"},
    {"a = x + 1\na = a + sin(a)", "x + 1 + sin(x + 1)"},
    {"a = x + 1\nb = a + y\na = a + 5\na*b", "(x + 6)*(x + y + 1)"},
    {"a = x + 1\nb = a + y\nb = b + a\nb", "2*x + y + 2"},
    {"a = x + 1\na = a - x - 1\na = a + y\na", "y"},
    {"a = x + 1\ndef f(u) = u + a\na = a + 1\nf(a)", "2*x + 3"},
    {"a = x + y\na = a + 1\nb = sin(a)\nb", "sin(x + y + 1)"},
    {"a = x + y\na = a > 1 ? a : -a\na", "x + y > 1 ? x + y : -x - y"},
    {"s = 0\ns = s + x\ns = s + x^2\ns = s + x^3\ns", "x + x^2 + x^3"},
};

START_TEST(t_growing_sum)
{
    SgCtx *ctx = sg_new();
    Expr *a = tu_parse(ctx, sums[_i].program), *b = tu_parse(ctx, sums[_i].same_as);
    char *ta = tu_infix(a), *tb = tu_infix(b);
    ck_assert_msg(a == b, "'%s' gave %s, not %s", sums[_i].program, ta, tb);
    free(ta);
    free(tb);
    sg_free(ctx);
}
END_TEST

/* 20,000 lines of `a = a + sin(k*x)`, every term new: rebuilding the sum
 * on each line once took 20 s and 1.6 GB; now a 64 MiB graph is plenty. */
static void over_limit(SgLimitKind kind, size_t limit)
{
    ck_abort_msg("the growing sum passed a limit: kind %d, %zu", (int)kind, limit);
}

START_TEST(t_growing_sum_linear)
{
    enum { LINES = 20000 };
    char *src = malloc(LINES * 32 + 16), *p = src;
    p += sprintf(p, "a = 0\n");
    for (int k = 1; k <= LINES; k++)
        p += sprintf(p, "a = a + sin(%d*x)\n", k);
    sprintf(p, "a\n");
    SgCtx *ctx = sg_new();
    SgLimits lim = {0, 0, (size_t)64 << 20};
    sg_set_limits(ctx, &lim, over_limit);
    Expr *a = tu_parse(ctx, src);
    ck_assert_int_eq(a->op, OP_ADD);
    ck_assert_uint_eq(a->n, LINES);
    free(src);
    sg_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("good");
    tcase_add_loop_test(tc, t_good, 0, sizeof good / sizeof good[0]);
    tcase_add_test(tc, t_precedence_values);
    tcase_add_test(tc, t_length_respected);
    tcase_add_loop_test(tc, t_growing_sum, 0, sizeof sums / sizeof sums[0]);
    tcase_add_test(tc, t_growing_sum_linear);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad");
    tcase_add_loop_test(tc, t_bad, 0, sizeof bad / sizeof bad[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("nesting");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, t_nesting_ok);
    tcase_add_loop_test(tc, t_nesting_deep, 0, 4);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
