/* testutil.h - helpers shared by the Check suites: parse or fail the test,
 * print, evaluate through the interpreter (eval_expr) and through the JIT
 * (emit_c_eval + jit_compile), finite differences, tolerant comparison. */
#ifndef SG_TESTUTIL_H
#define SG_TESTUTIL_H

#include <check.h>
#include <stddef.h>

#include "sg_internal.h"

#define TU_MAX_VARS 16

/* Values for some variables: vars[i] = vals[i]. */
typedef struct {
    size_t n;
    Expr *vars[TU_MAX_VARS];
    double vals[TU_MAX_VARS];
} Point;

/* Parse src as a program; on error fail the running test with the message. */
Expr *tu_parse(SgCtx *ctx, const char *src);
/* Parse len bytes; 1 and *out on success, 0 and err on failure. */
int tu_try_parse(SgCtx *ctx, const char *src, size_t len, Expr **out, SgError *err);
/* The variable called name. */
Expr *tu_var(SgCtx *ctx, const char *name);
/* The infix text of e (malloc'd). */
char *tu_infix(const Expr *e);
/* Fail the test unless e prints as want; what names the case. */
void tu_check_infix(const char *what, const Expr *e, const char *want);
/* The n-th derivative of e in the variable called name. */
Expr *tu_deriv(SgCtx *ctx, Expr *e, const char *name, int n);

/* Parse "x=0.3,y=-1" into pt; fails the test on malformed text. */
void tu_point(SgCtx *ctx, const char *spec, Point *pt);
/* The value at pt of the variable called name (fails the test if absent). */
double tu_point_get(const Point *pt, const char *name);

/* e at pt through the interpreter. */
double tu_eval(Expr *e, const Point *pt);
/* e at pt in complex arithmetic: the analytic continuation of the real
 * meaning, for checking values that pass through complex intermediates
 * (acos(1.07), acosh(0.5)) where real arithmetic gives NaN as C does.
 * Principal branches follow SymPy/mpmath, which have no signed zeros: an
 * exactly real or imaginary intermediate takes the side of a branch cut that
 * the counter-clockwise rule picks (acos(2) = +1.3170i, log(-2) = +pi i).
 * exp log log10 log2 log1p expm1 sin cos tan sinh cosh tanh asin acos atan
 * asinh acosh atanh and ^ are continued (integer exponents by repeated
 * multiplication); cbrt is z^(1/3) for Re z >= 0 and the real cube root for
 * real z < 0; stop(e) is e; a user call is its value. Every other operation
 * (erf, floor, abs, min, comparisons, ?:, atan2, ...) has no continuation
 * here and takes the real value of arguments whose imaginary part is ~0.
 * 1 and *re, *im on success; 0 and a reason in why when an operation without
 * a continuation meets a complex argument or a variable has no value. */
int tu_ceval(Expr *e, const Point *pt, double *re, double *im, char *why, size_t whysize);

/* outs[0..n) at pt through emit_c_eval + the JIT, into res; fails the test
 * when a free variable has no value or the code does not compile. */
void tu_jit_eval_n(Expr **outs, size_t n, const Point *pt, double *res);
double tu_jit_eval(Expr *e, const Point *pt);
/* The C source emit_c_eval writes for outs with the point's variables as
 * parameters, prefix "tu" (malloc'd). */
char *tu_emit(Expr **outs, size_t n, const Point *pt);

/* d f / d var at pt by the central five-point stencil with step h
 * (interpreter values). */
double tu_central_diff(Expr *f, Expr *var, const Point *pt, double h);
/* A step suited to the value v of the variable. */
double tu_step(double v);

/* |a - b| <= max(abs_tol, rel * max(|a|, |b|)); NaN equals only NaN and
 * infinities only themselves. */
int tu_close(double a, double b, double rel, double abs_tol);
/* Fail the test with a message naming what unless got is close to want. */
void tu_check_close(const char *what, double got, double want, double rel, double abs_tol);

/* Run a suite, print the summary, return the number of failures (at most
 * 255: it becomes the exit status). */
int tu_run(Suite *s);

#endif
