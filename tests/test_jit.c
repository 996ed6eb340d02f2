/* test_jit.c - the emitted C and its in-process compilation: results match
 * the interpreter, numerically delicate helpers stay finite, ?: evaluates
 * only the branch taken, the text is deterministic and strict-C clean, and a
 * compile failure is an error value, never output. */
#define _GNU_SOURCE /* mkstemps, popen, dup2 */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

typedef void (*EvalFn)(const double *in, double *out);

/* ---- JIT against the interpreter ------------------------------------------- */

/* Variable names that clash with C, libm or the emitter's own names. */
static const char names_f[] = "in + out + t1 + int + y0 + n + i + sg_x + _y + double + grad";
static const char names_at[] = "in=1,out=2,t1=3,int=4,y0=5,n=6,i=7,sg_x=8,_y=9,double=10,grad=11";
/* Every one-argument function with libm behind it. */
static const char libm_f[] = "asin(x/2) + acos(y/3) + atan(x) + sinh(y) + cosh(x) + tanh(y) "
                             "+ asinh(x) + acosh(y + 1) + atanh(x/2) + tan(x) + sqrt(y)";

static const struct {
    const char *f, *at;
} cases[] = {
    {"x^2 + 2*x + 1", "x=0.75"},
    {"sin(x)^2 + sin(x)", "x=1.3"},
    {"x^3 - x^-2 + x^4 - x^5 + x^(1/2) + x^(-1/2) + x^(1/3) + x^(-3/2) + x^2.5", "x=1.7"},
    {"exp(-x)*cos(y) + log(x*y)", "x=0.4,y=2.2"},
    {"sigmoid(x) + softplus(y) + relu(x - y) + sign(y) + abs(x)", "x=-0.3,y=1.1"},
    {"min(x, y) + max(x, y)*clamp(x, -1, 0.5)", "x=0.2,y=-0.6"},
    {"x > y ? x - y : (x < 0 ? -x : x*y)", "x=0.5,y=0.8"},
    {"x > y ? x - y : (x < 0 ? -x : x*y)", "x=-0.5,y=0.8"},
    {"(x < y && y < 2 || x == 3) + (x != y) + (x >= y) + (x <= y)", "x=0.5,y=1.5"},
    {"pi*x + e^y", "x=0.5,y=1.5"},
    {"atan2(y, x) + hypot(x, y) + erf(x) + erfc(y) + cbrt(x - 5)", "x=-0.7,y=0.4"},
    {"floor(x*3) + ceil(y/2) + log2(x) + log10(y) + log1p(x) + expm1(y)", "x=0.7,y=1.3"},
    {libm_f, "x=0.7,y=1.3"},
    {"stop(x^2)*y + detach(y)*x", "x=1.5,y=-2"},
    {"def sq(u) = u^2 grad 2*u; sq(x) + sq(x*y)", "x=1.5,y=-2"},
    {"z = w*x + b; p = clamp(sigmoid(z), 1e-8, 1 - 1e-8); -y*log(p) - (1-y)*log(1-p)",
     "b=0.1,w=-0.5,x=2,y=1"},
    {names_f, names_at},
    {"x*(x + 1)*(x + 2)*(x + 3)*(x + 4)*(x + 5)*(x + 6)*(x + 7)*(x + 8)*(x + 9)", "x=0.37"},
};

/* f and its gradient in every variable of the point, in one compiled unit. */
START_TEST(t_matches_interpreter)
{
    SgCtx *ctx = sg_new();
    Point pt;
    tu_point(ctx, cases[_i].at, &pt);
    Expr *outs[1 + TU_MAX_VARS];
    outs[0] = tu_parse(ctx, cases[_i].f);
    for (size_t i = 0; i < pt.n; i++)
        outs[1 + i] = deriv(ctx, outs[0], pt.vars[i]);
    double got[1 + TU_MAX_VARS];
    tu_jit_eval_n(outs, 1 + pt.n, &pt, got);
    for (size_t i = 0; i <= pt.n; i++) {
        char what[512];
        snprintf(what, sizeof what, "%s%s of %s at %s", i ? "d/d" : "value",
                 i ? pt.vars[i - 1]->name : "", cases[_i].f, cases[_i].at);
        double want = tu_eval(outs[i], &pt);
        ck_assert_msg(isfinite(want), "%s: the interpreter gave %g", what, want);
        tu_check_close(what, got[i], want, 1e-13, 1e-15);
    }
    sg_free(ctx);
}
END_TEST

/* The clash-prone names evaluate to their own values: the sum is 66. */
START_TEST(t_c_names)
{
    SgCtx *ctx = sg_new();
    Point pt;
    tu_point(ctx, names_at, &pt);
    Expr *f = tu_parse(ctx, names_f);
    tu_check_close("sum of C-clashing names", tu_jit_eval(f, &pt), 66, 0, 0);
    sg_free(ctx);
}
END_TEST

/* ---- numerically delicate helpers ------------------------------------------- */

static const struct {
    const char *f, *at;
    double value, d; /* by hand, in double precision */
} stable[] = {
    {"sigmoid(x)", "x=-1000", 0, 0},
    {"sigmoid(x)", "x=1000", 1, 0},
    {"softplus(x)", "x=1000", 1000, 1},
    {"softplus(x)", "x=-1000", 0, 0},
    {"sigmoid(x)", "x=0", 0.5, 0.25},
    {"softplus(x)", "x=0", 0.69314718055994531, 0.5},
    {"x*sigmoid(x)", "x=-800", 0, 0},
};

START_TEST(t_stable)
{
    SgCtx *ctx = sg_new();
    Point pt;
    tu_point(ctx, stable[_i].at, &pt);
    Expr *outs[2];
    outs[0] = tu_parse(ctx, stable[_i].f);
    outs[1] = deriv(ctx, outs[0], pt.vars[0]);
    double got[2], want[2] = {stable[_i].value, stable[_i].d};
    tu_jit_eval_n(outs, 2, &pt, got);
    for (int k = 0; k < 2; k++) {
        char what[128];
        snprintf(what, sizeof what, "%s of %s at %s, JIT", k ? "derivative" : "value",
                 stable[_i].f, stable[_i].at);
        ck_assert_msg(isfinite(got[k]), "%s is %g", what, got[k]);
        tu_check_close(what, got[k], want[k], 1e-15, 1e-300);
        snprintf(what, sizeof what, "%s of %s at %s, interpreter", k ? "derivative" : "value",
                 stable[_i].f, stable[_i].at);
        tu_check_close(what, tu_eval(outs[k], &pt), want[k], 1e-15, 1e-300);
    }
    sg_free(ctx);
}
END_TEST

/* Constant programs fold, and what they fold to is finite too. */
START_TEST(t_stable_constants)
{
    static const struct { const char *f; double want; } c[] = {
        {"sigmoid(-1000)", 0}, {"softplus(1000)", 1000}, {"sigmoid(1000)", 1},
        {"softplus(-1000)", 0}, {"2^0.5 + pi", 4.555806215962888},
    };
    SgCtx *ctx = sg_new();
    Point none = {0};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        Expr *f = tu_parse(ctx, c[i].f);
        tu_check_close(c[i].f, tu_jit_eval(f, &none), c[i].want, 1e-15, 1e-300);
    }
    sg_free(ctx);
}
END_TEST

/* ---- ?: evaluates only the branch taken ----------------------------------- */

/* No floating-point exception is raised: an evaluated log(-1), sqrt(-1) or
 * 1/0 in the branch not taken would raise one. */
START_TEST(t_branch_not_taken)
{
    static const struct { const char *f, *wrt, *at; double value, d; } c[] = {
        {"x > 0 ? log(x) : 0", "x", "x=-1", 0, 0},
        {"x >= 0 ? sqrt(x) : 0", "x", "x=-1", 0, 0},
        {"x > 0 ? log(x) : 0", "x", "x=0", 0, 0},
        {"x != 0 ? sin(x)/x : 1", "x", "x=0", 1, 0},
        {"x <= 1 ? x : acosh(x) + log(x - 1)", "x", "x=0.5", 0.5, 1},
        {"y > 0 ? x*log(y) : x", "x", "x=2,y=-3", 2, 1},
    };
    SgCtx *ctx = sg_new();
    Point pt;
    tu_point(ctx, c[_i].at, &pt);
    Expr *outs[2];
    outs[0] = tu_parse(ctx, c[_i].f);
    outs[1] = tu_deriv(ctx, outs[0], c[_i].wrt, 1);
    char *src = tu_emit(outs, 2, &pt);
    SgError err;
    Jit *j = jit_compile(src, &err);
    ck_assert_msg(j != NULL, "compile failed: %s", err.msg);
    EvalFn fn = (EvalFn)jit_symbol(j, "tu_eval");
    ck_assert_ptr_nonnull(fn);
    double got[2];
    feclearexcept(FE_ALL_EXCEPT);
    fn(pt.vals, got);
    int raised = fetestexcept(FE_INVALID | FE_DIVBYZERO);
    ck_assert_msg(!raised, "%s at %s raised a floating-point exception; emitted:\n%s",
                  c[_i].f, c[_i].at, src);
    tu_check_close(c[_i].f, got[0], c[_i].value, 0, 0);
    tu_check_close("its derivative", got[1], c[_i].d, 0, 0);
    for (int k = 0; k < 2; k++) {
        feclearexcept(FE_ALL_EXCEPT);
        double v = tu_eval(outs[k], &pt);
        ck_assert_msg(!fetestexcept(FE_INVALID | FE_DIVBYZERO),
                      "the interpreter raised an exception for %s", c[_i].f);
        tu_check_close("interpreter", v, k ? c[_i].d : c[_i].value, 0, 0);
    }
    jit_free(j);
    free(src);
    sg_free(ctx);
}
END_TEST

/* ---- the emitted text ------------------------------------------------------- */

static int count(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub))
        n++;
    return n;
}

START_TEST(t_emitted_shape)
{
    SgCtx *ctx = sg_new();
    Point pt;
    tu_point(ctx, "x=1", &pt);
    Expr *f = tu_parse(ctx, "sin(x)^2 + sin(x) + cos(sin(x))");
    char *src = tu_emit(&f, 1, &pt);
    ck_assert_msg(count(src, "sin(") == 1, "sin(x) computed more than once:\n%s", src);
    free(src);
    /* small integer powers become multiplications */
    f = tu_parse(ctx, "x^2 + x^3 + x^-2 + x^4");
    src = tu_emit(&f, 1, &pt);
    ck_assert_msg(!strstr(src, "pow("), "small powers through pow():\n%s", src);
    free(src);
    /* the same request gives the same text, in this context and another */
    Expr *g = tu_parse(ctx, "exp(x)*sin(x) + exp(x)/(1 + x^2)");
    Expr *outs[2] = {g, deriv(ctx, g, pt.vars[0])};
    char *a = tu_emit(outs, 2, &pt), *b = tu_emit(outs, 2, &pt);
    ck_assert_str_eq(a, b);
    SgCtx *other = sg_new();
    Point pt2;
    tu_point(other, "x=1", &pt2);
    tu_parse(other, "y*z + 3"); /* different creation history */
    Expr *g2 = tu_parse(other, "exp(x)*sin(x) + exp(x)/(1 + x^2)");
    Expr *outs2[2] = {g2, deriv(other, g2, pt2.vars[0])};
    char *c = tu_emit(outs2, 2, &pt2);
    ck_assert_str_eq(a, c);
    free(a);
    free(b);
    free(c);
    sg_free(other);
    sg_free(ctx);
}
END_TEST

/* The emitted C compiles cleanly as strict C99 with gcc. */
START_TEST(t_strict_c)
{
    SgCtx *ctx = sg_new();
    Point pt;
    tu_point(ctx, "x=0.5,y=1.5,int=2", &pt);
    Expr *f = tu_parse(ctx, libm_f);
    Expr *g = tu_parse(ctx, "sigmoid(x) + softplus(y) + relu(x) + sign(y) + min(x, y) "
                            "+ max(x, int) + clamp(x, 0, y) + (x > y ? x^7 : 1/y) + pi + e^x "
                            "+ atan2(y, x) + hypot(x, y) + erf(x) + erfc(y) + cbrt(x)");
    Expr *outs[4] = {f, deriv(ctx, f, pt.vars[0]), g, deriv(ctx, g, pt.vars[1])};
    char *src = tu_emit(outs, 4, &pt);
    /* the JIT's unit leaves libm's declarations to jit_compile; a C compiler
     * gets them from <math.h> */
    const char *inc = "#include <math.h>\n";
    char path[] = "/tmp/sg_strict_XXXXXX.c";
    int fd = mkstemps(path, 2);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, inc, strlen(inc)), (long)strlen(inc));
    ck_assert_int_eq(write(fd, src, strlen(src)), (long)strlen(src));
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "gcc -std=c99 -Wall -Wextra -pedantic -Werror -c %s -o /dev/null 2>&1", path);
    FILE *p = popen(cmd, "r");
    char out[2048] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int status = pclose(p);
    unlink(path);
    ck_assert_msg(status == 0, "gcc rejected the emitted C:\n%s\n---\n%s", out, src);
    free(src);
    sg_free(ctx);
}
END_TEST

/* ---- failure is a value, never output ---------------------------------------- */

/* Run jit_compile(src) with stdout and stderr sent to a file; *printed gets
 * how many bytes were written there. */
static Jit *compile_quietly(const char *src, SgError *err, long *printed)
{
    fflush(stdout);
    fflush(stderr);
    FILE *sink = tmpfile();
    ck_assert_ptr_nonnull(sink);
    int out = dup(1), errfd = dup(2);
    dup2(fileno(sink), 1);
    dup2(fileno(sink), 2);
    Jit *j = jit_compile(src, err);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(errfd, 2);
    close(out);
    close(errfd);
    fseek(sink, 0, SEEK_END);
    *printed = ftell(sink);
    fclose(sink);
    return j;
}

START_TEST(t_compile_failure)
{
    static const char *bad[] = {
        "garbage(",
        "void tu_eval(const double *in, double *out) { out[0] = undefined_fn(in[0]); }",
        "int f(void) { return }",
    };
    SgError err;
    memset(&err, 0, sizeof err);
    long printed = -1;
    Jit *j = compile_quietly(bad[_i], &err, &printed);
    ck_assert_msg(j == NULL, "\"%s\" compiled", bad[_i]);
    ck_assert_msg(err.msg[0] != 0, "no message for \"%s\"", bad[_i]);
    ck_assert_msg(printed == 0, "compiling \"%s\" printed %ld bytes", bad[_i], printed);
}
END_TEST

START_TEST(t_compile_success_is_quiet)
{
    SgError err;
    long printed = -1;
    Jit *j = compile_quietly("double tu_twice(double x) { return 2 * x; }", &err, &printed);
    ck_assert_msg(j != NULL, "compile failed: %s", err.msg);
    ck_assert_int_eq(printed, 0);
    double (*twice)(double) = (double (*)(double))jit_symbol(j, "tu_twice");
    ck_assert_ptr_nonnull(twice);
    ck_assert(twice(21) == 42);
    ck_assert_ptr_null(jit_symbol(j, "no_such_function"));
    jit_free(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jit");
    TCase *tc = tcase_create("values");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, t_matches_interpreter, 0, sizeof cases / sizeof cases[0]);
    tcase_add_test(tc, t_c_names);
    tcase_add_loop_test(tc, t_stable, 0, sizeof stable / sizeof stable[0]);
    tcase_add_test(tc, t_stable_constants);
    tcase_add_loop_test(tc, t_branch_not_taken, 0, 6);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, t_emitted_shape);
    tcase_add_test(tc, t_strict_c);
    suite_add_tcase(s, tc);
    tc = tcase_create("failure");
    tcase_add_loop_test(tc, t_compile_failure, 0, 3);
    tcase_add_test(tc, t_compile_success_is_quiet);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
