/* deriv.c - differentiation by rule: one case per operation. Results are
 * built through the canonical constructors (so they come out simplified) and
 * memoised per (node, variable) in the context, so a node shared by many
 * paths, or met again by a higher derivative, is differentiated once. */
#include <stdlib.h>

#include "sg_internal.h"

#define INT(v) expr_int(ctx, (v))
#define RAT(p, q) expr_rat(ctx, (p), (q))
#define ADD(a, b) expr_add(ctx, (a), (b))
#define SUB(a, b) expr_sub(ctx, (a), (b))
#define MUL(a, b) expr_mul(ctx, (a), (b))
#define DIV(a, b) expr_div(ctx, (a), (b))
#define POW(a, b) expr_pow(ctx, (a), (b))
#define NEG(a) expr_neg(ctx, (a))
#define F1(op, a) expr_call1(ctx, OP_##op, (a))
#define F2(op, a, b) expr_call2(ctx, OP_##op, (a), (b))

/* (1 - u^2)^k as (1 - u)^k * (1 + u)^k: 1 - u^2 cancels near |u| = 1,
 * where asin, acos and atanh are steepest. */
static Expr *one_minus_sq(SgCtx *ctx, Expr *u, Expr *k)
{
    return MUL(POW(SUB(INT(1), u), k), POW(ADD(u, INT(1)), k));
}

/* f'(u) for a one-argument function f. */
static Expr *unary_rule(SgCtx *ctx, Op op, Expr *u)
{
/* built only by the rules that use them: the rest would leave garbage nodes */
#define sq POW(u, INT(2))
#define half RAT(-1, 2)
    switch (op) {
    case OP_ABS: return F1(SIGN, u);
    case OP_ACOS: return NEG(one_minus_sq(ctx, u, RAT(-1, 2)));
    case OP_ACOSH: /* not (u^2 - 1)^(-1/2): u^2 overflows, and cancels near 1 */
        return POW(MUL(POW(SUB(u, INT(1)), RAT(1, 2)), POW(ADD(u, INT(1)), RAT(1, 2))), INT(-1));
    case OP_ASIN: return one_minus_sq(ctx, u, RAT(-1, 2));
    case OP_ASINH: return POW(F2(HYPOT, u, INT(1)), INT(-1)); /* u^2 + 1 overflows */
    case OP_ATAN: return POW(ADD(sq, INT(1)), INT(-1));
    case OP_ATANH: return one_minus_sq(ctx, u, INT(-1));
    case OP_CBRT: return DIV(INT(1), MUL(INT(3), POW(F1(CBRT, u), INT(2))));
    case OP_COS: return NEG(F1(SIN, u));
    case OP_COSH: return F1(SINH, u);
    case OP_ERF:
        return MUL(MUL(INT(2), POW(expr_constant(ctx, OP_PI), half)), F1(EXP, NEG(sq)));
    case OP_ERFC:
        return MUL(MUL(INT(-2), POW(expr_constant(ctx, OP_PI), half)), F1(EXP, NEG(sq)));
    case OP_EXP: case OP_EXPM1: return F1(EXP, u);
    case OP_LOG: return POW(u, INT(-1));
    case OP_LOG10: return DIV(INT(1), MUL(u, F1(LOG, INT(10))));
    case OP_LOG2: return DIV(INT(1), MUL(u, F1(LOG, INT(2))));
    case OP_LOG1P: return POW(ADD(u, INT(1)), INT(-1));
    case OP_RELU: return F2(GT, u, INT(0));
    case OP_SIGMOID: /* not s*(1 - s): 1 - s cancels to 0 for large u */
        return MUL(F1(SIGMOID, u), F1(SIGMOID, NEG(u)));
    case OP_SIN: return F1(COS, u);
    case OP_SINH: return F1(COSH, u);
    case OP_SOFTPLUS: return F1(SIGMOID, u);
    case OP_TAN: return ADD(INT(1), POW(F1(TAN, u), INT(2)));
    case OP_TANH: return POW(F1(COSH, u), INT(-2)); /* 1 - tanh^2 cancels to 0 */
    default: return INT(0); /* sign, floor, ceil, stop: piecewise constant */
    }
#undef sq
#undef half
}

void deriv_others(SgCtx *ctx, Expr **f, size_t n, Expr *const *need, Expr *seed, Expr **others)
{
    Expr **suf = sg_realloc(NULL, (n + 1) * sizeof *suf);
    size_t first = n, last = 0;
    for (size_t i = 0; i < n; i++)
        if (!expr_is_zero(need[i])) {
            first = i < first ? i : first;
            last = i;
        }
    suf[n] = seed;
    for (size_t i = n; i-- > first + 1;)
        suf[i] = expr_call1(ctx, OP_HOLD, MUL(f[i], suf[i + 1]));
    Expr *pre = INT(1);
    for (size_t i = 0; i < n; i++) {
        others[i] = i >= first && i <= last && !expr_is_zero(need[i]) ? MUL(pre, suf[i + 1]) : INT(0);
        if (i < last)
            pre = expr_call1(ctx, OP_HOLD, MUL(pre, f[i]));
    }
    free(suf);
}

Expr *deriv_unary(SgCtx *ctx, Op op, Expr *u) { return unary_rule(ctx, op, u); }

/* d(u^v) = v u^(v-1) u' when v is constant, else u^v (v' log u + v u'/u). */
/* dv*log(u) where dv is a comparison or a ?: (the exponent's derivative
 * is piecewise: relu, max, clamp): the log is taken only where dv is not 0,
 * so x^relu(x) at x = -2 has derivative 0, not 0*log(-2) = nan. */
static Expr *times_log(SgCtx *ctx, Expr *dv, Expr *log_u)
{
    if (op_info[dv->op].kind == KIND_CMP)
        return expr_call(ctx, OP_SELECT, (Expr *[]){dv, log_u, INT(0)}, 3);
    if (dv->op == OP_SELECT)
        return expr_call(ctx, OP_SELECT,
                         (Expr *[]){dv->args[0], times_log(ctx, dv->args[1], log_u),
                                    times_log(ctx, dv->args[2], log_u)},
                         3);
    return MUL(dv, log_u);
}

static Expr *pow_rule(SgCtx *ctx, Expr *e, Expr *x)
{
    Expr *u = e->args[0], *v = e->args[1];
    Expr *du = deriv(ctx, u, x), *dv = deriv(ctx, v, x);
    if (expr_is_zero(dv)) /* one product, so v meets du's coefficient before any sum */
        return expr_mul_n(ctx, (Expr *[]){v, POW(u, SUB(v, INT(1))), du}, 3);
    if (expr_is_zero(du))
        return MUL(e, times_log(ctx, dv, F1(LOG, u)));
    return MUL(e, ADD(times_log(ctx, dv, F1(LOG, u)), DIV(MUL(v, du), u)));
}

#define FEW_FACTORS 8 /* products with more factors in x share their partial products */

/* Sum over i of d(args[i]) times every other factor: past FEW_FACTORS
 * factors in x, the others as prefix and suffix products held whole
 * (reverse.c does the same), so the rule stays linear in the factors. */
static Expr *product_rule(SgCtx *ctx, Expr *e, Expr *x)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < e->n; i++)
        m += (e->args[i]->vars & x->vars) != 0;
    if (m > FEW_FACTORS) {
        Expr **d = sg_realloc(NULL, e->n * sizeof *d), **others = sg_realloc(NULL, e->n * sizeof *others);
        for (uint32_t i = 0; i < e->n; i++)
            d[i] = deriv(ctx, e->args[i], x);
        deriv_others(ctx, e->args, e->n, d, INT(1), others);
        size_t nt = 0;
        for (uint32_t i = 0; i < e->n; i++)
            if (!expr_is_zero(d[i]))
                d[nt++] = MUL(others[i], d[i]);
        Expr *r = nt ? expr_add_n(ctx, d, nt) : INT(0);
        free(d);
        free(others);
        return r;
    }
    /* most products are short: their lists live on the stack, not the arena */
    Expr *small[2][8];
    Expr **terms = e->n <= 8 ? small[0] : sg_alloc(ctx, e->n * sizeof *terms);
    Expr **f = e->n <= 8 ? small[1] : sg_alloc(ctx, e->n * sizeof *f);
    size_t nt = 0;
    for (uint32_t i = 0; i < e->n; i++) {
        Expr *d = deriv(ctx, e->args[i], x);
        if (expr_is_zero(d))
            continue;
        for (uint32_t j = 0; j < e->n; j++)
            f[j] = i == j ? d : e->args[j];
        terms[nt++] = expr_mul_n(ctx, f, e->n);
    }
    return nt ? expr_add_n(ctx, terms, nt) : INT(0);
}

/* A custom gradient: sum over i of grad_i(actuals) * d(actual_i), plus,
 * for a variable the body uses directly (not a parameter), the body's own
 * partial in it. */
static Expr *user_rule(SgCtx *ctx, Expr *e, Expr *x)
{
    const UserFn *fn = e->fn;
    Expr *sum = INT(0);
    int is_param = 0;
    for (int i = 0; i < fn->nparams; i++)
        is_param |= fn->params[i] == x;
    if (!is_param)
        sum = expr_subst(ctx, deriv(ctx, fn->body, x), fn->params, e->args + 1,
                         (size_t)fn->nparams);
    for (int i = 0; i < fn->nparams; i++) {
        Expr *d = deriv(ctx, e->args[i + 1], x);
        if (expr_is_zero(d))
            continue;
        Expr *g = expr_subst(ctx, fn->grad[i], fn->params, e->args + 1, (size_t)fn->nparams);
        sum = ADD(sum, MUL(g, d));
    }
    return sum;
}

/* Is e a one-argument function whose derivative is f'(u) * u'? */
static int is_link(const Expr *e)
{
    return e->n == 1 && op_info[e->op].kind == KIND_FUNC && e->op != OP_STOP;
}

/* d e for a chain f1(f2(...fk(u))) of such functions: the factors f_i'
 * gathered in one walk down the links not yet differentiated, then one
 * product, so a chain k deep costs O(k log k) rather than O(k^2) and does
 * not recurse k deep. */
/* A direction of sg_direction (its name, "%dir...", no program can write). */
static int is_direction(const Expr *x) { return !strncmp(x->name, "%dir", 4); }

static Expr *chain_rule(SgCtx *ctx, Expr *e, Expr *x)
{
    size_t n = 0, cap = 16;
    Expr **f = sg_realloc(NULL, cap * sizeof *f);
    Expr *u = e;
    do {
        if (n + 1 == cap)
            f = sg_realloc(f, (cap *= 2) * sizeof *f);
        f[n++] = unary_rule(ctx, (Op)u->op, u->args[0]);
        u = u->args[0];
    } while (is_link(u) && !*sg_deriv_slot(ctx, u, x));
    Expr *du = deriv(ctx, u, x);
    f[n++] = du;
    Expr *d = expr_is_zero(du) ? du : expr_mul_n(ctx, f, n);
    free(f);
    /* Along a direction (NAME_hvp over a gradient), e's tangent is held
     * whole: the gradient's terms c*e would otherwise each take in its
     * factors, a multiplication apiece for every term. */
    if (d->op == OP_MUL && is_direction(x))
        d = expr_call1(ctx, OP_HOLD, d);
    return d;
}

static Expr *rule(SgCtx *ctx, Expr *e, Expr *x)
{
    Expr **a = e->args;
    Expr *d0 = NULL, *d1 = NULL, *d2 = NULL;
    switch (e->op) {
    case OP_ADD: { /* only the terms in x: a gradient in n variables is not n^2 */
        Expr **t = sg_realloc(NULL, e->n * sizeof *t);
        uint32_t n = 0;
        for (uint32_t i = 0; i < e->n; i++)
            if (a[i]->vars & x->vars)
                t[n++] = deriv(ctx, a[i], x);
        Expr *d = n ? expr_add_n(ctx, t, n) : INT(0);
        free(t);
        return d;
    }
    case OP_MUL: return product_rule(ctx, e, x);
    case OP_POW: return pow_rule(ctx, e, x);
    case OP_CALL: return user_rule(ctx, e, x);
    case OP_STOP: return INT(0);
    case OP_HOLD: return expr_call1(ctx, OP_HOLD, deriv(ctx, a[0], x));
    case OP_SELECT: /* each branch differentiated, the same one taken */
        return expr_call(ctx, OP_SELECT,
                         (Expr *[]){a[0], deriv(ctx, a[1], x), deriv(ctx, a[2], x)}, 3);
    default: break;
    }
    if (op_info[e->op].kind == KIND_CMP)
        return INT(0);
    if (is_link(e))
        return chain_rule(ctx, e, x);
    d0 = deriv(ctx, a[0], x);
    d1 = deriv(ctx, a[1], x);
    switch (e->op) {
    case OP_ATAN2: /* atan2(y, x) */
        return DIV(SUB(MUL(a[1], d0), MUL(a[0], d1)),
                   ADD(POW(a[0], INT(2)), POW(a[1], INT(2))));
    case OP_HYPOT:
        return DIV(ADD(MUL(a[0], d0), MUL(a[1], d1)), e);
    case OP_MIN: /* a tie follows the first argument */
        return expr_call(ctx, OP_SELECT, (Expr *[]){F2(LE, a[0], a[1]), d0, d1}, 3);
    case OP_MAX:
        return expr_call(ctx, OP_SELECT, (Expr *[]){F2(GE, a[0], a[1]), d0, d1}, 3);
    case OP_CLAMP: /* slope 1 on the closed interval [lo, hi] */
        d2 = deriv(ctx, a[2], x);
        return expr_call(ctx, OP_SELECT,
                         (Expr *[]){F2(LT, a[0], a[1]), d1,
                                    expr_call(ctx, OP_SELECT,
                                              (Expr *[]){F2(GT, a[0], a[2]), d2, d0}, 3)},
                         3);
    default: return INT(0);
    }
}

Expr *deriv(SgCtx *ctx, Expr *e, Expr *x)
{
    if (!(e->vars & x->vars)) /* no x below e */
        return INT(0);
    if (e->op == OP_VAR) {
        Expr *t = e == x ? NULL : sg_direction_leaf(ctx, x, e);
        return t ? t : INT(e == x);
    }
    Expr *d = *sg_deriv_slot(ctx, e, x);
    if (!d) {
        d = rule(ctx, e, x);
        *sg_deriv_slot(ctx, e, x) = d; /* the memo may have moved meanwhile */
    }
    return d;
}
