/* print_infix.c - the graph as a person writes it: a - b rather than
 * a + (-1)*b, x/(2*y) rather than x*y^-1/2, sqrt(x), and the fewest
 * parentheses that keep the meaning under the language's precedence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

enum { P_SELECT = 1, P_OR, P_AND, P_CMP, P_ADD, P_MUL, P_UNARY, P_POW, P_ATOM };

static void pr(Buf *b, const Expr *e, int min);

/* A held value prints as itself (see OP_HOLD). */
static const Expr *unhold(const Expr *e)
{
    while (e->op == OP_HOLD)
        e = e->args[0];
    return e;
}

static int is_neg_num(const Expr *e) { return e->op == OP_NUM && e->num < 0; }

/* A negative number exponent moves the factor under the fraction bar. */
static int in_denominator(const Expr *f)
{
    return f->op == OP_POW && is_neg_num(f->args[1]);
}

/* The sign a term is written with: a product with a negative coefficient,
 * or a negative number. */
static int negative(const Expr *e)
{
    if (e->op == OP_MUL)
        return is_neg_num(e->args[0]);
    return is_neg_num(e);
}

static void pr_num(Buf *b, const Expr *e, int absval)
{
    if (e->exact) {
        long long p = absval && expr_p(e) < 0 ? -(long long)expr_p(e) : (long long)expr_p(e);
        if (expr_q(e) == 1)
            emitf(b, "%lld", p);
        else
            emitf(b, "%lld/%lld", p, (long long)expr_q(e));
        return;
    }
    double v = absval && e->num < 0 ? -e->num : e->num;
    if (!isfinite(v)) { /* what reads back as the same value, not a name */
        emitf(b, isnan(v) ? "0/0" : v < 0 ? "-1/0" : "1/0");
        return;
    }
    char s[40];
    fmt_double(s, sizeof s, v);
    emitf(b, "%s", s);
}

static int num_prec(const Expr *e)
{
    if (!isfinite(e->num)) /* 1/0, -1/0, 0/0 */
        return P_MUL;
    if (e->num < 0)
        return P_UNARY;
    return e->exact && expr_q(e) != 1 ? P_MUL : P_ATOM;
}

static int prec(const Expr *e)
{
    switch (e->op) {
    case OP_NUM: return num_prec(e);
    case OP_ADD: return P_ADD;
    case OP_MUL: return P_MUL;
    case OP_POW:
        if (in_denominator(e))
            return P_MUL;
        return e->args[1]->op == OP_NUM && e->args[1]->exact && expr_p(e->args[1]) == 1 &&
                       expr_q(e->args[1]) == 2
                   ? P_ATOM : P_POW;
    case OP_SELECT: return P_SELECT;
    case OP_OR: return P_OR;
    case OP_AND: return P_AND;
    default: return op_info[e->op].kind == KIND_CMP ? P_CMP : P_ATOM;
    }
}

/* base^k for a number k (already made positive by the caller). */
static void pr_power(Buf *b, const Expr *base, const Expr *k, int negate)
{
    double v = negate ? -k->num : k->num;
    if (v == 1) { /* x^-1.0 too: 1/x, not 1/x^1 */
        pr(b, base, P_MUL + 1);
        return;
    }
    if (k->exact && v == 0.5) {
        emitf(b, "sqrt(");
        pr(b, base, 0);
        emitf(b, ")");
        return;
    }
    pr(b, base, P_POW + 1);
    emitf(b, "^");
    if (!negate) {
        pr(b, k, P_POW);
        return;
    }
    int paren = (k->exact && expr_q(k) != 1) || !isfinite(k->num); /* x^(3/2), x^(1/0) */
    emitf(b, paren ? "(" : "");
    pr_num(b, k, 1);
    emitf(b, paren ? ")" : "");
}

static void pr_product(Buf *b, const Expr *e, int absval);

static void pr_factor(Buf *b, const Expr *f)
{
    f = unhold(f);
    if (f->op == OP_MUL && !negative(f)) {
        /* a held product within a product: a*b*c, not a*(b*c) (left to
         * right, a*(x/y) reads a*x/y) */
        pr_product(b, f, 0);
        return;
    }
    if (f->op == OP_POW && f->args[1]->op == OP_NUM)
        pr_power(b, f->args[0], f->args[1], 0);
    else
        pr(b, f, P_MUL + 1);
}

/* A product (or a lone power with a negative exponent) as
 * [-]numerator[/denominator]; with absval the sign is left to the caller. */
static void pr_product(Buf *b, const Expr *e, int absval)
{
    e = unhold(e);
    const Expr *const *f = e->op == OP_MUL ? (const Expr *const *)e->args : &e;
    uint32_t n = e->op == OP_MUL ? e->n : 1, i = 0;
    const Expr *c = f[0]->op == OP_NUM ? f[i++] : NULL;
    int nnum = 0, nden = c && c->exact && expr_q(c) != 1;
    for (uint32_t j = i; j < n; j++)
        in_denominator(f[j]) ? nden++ : nnum++;
    if (c && c->num < 0 && !absval)
        emitf(b, "-");
    int wrote = 0;
    /* a coefficient of 1 or -1 (or 1/q), exact or not, is only its sign */
    int unit = c && (c->exact ? expr_p(c) == 1 || expr_p(c) == -1 : fabs(c->num) == 1);
    if (c && (!unit || !nnum)) {
        if (c->exact)
            emitf(b, "%lld", (long long)(expr_p(c) < 0 ? -expr_p(c) : expr_p(c)));
        else
            pr_num(b, c, 1);
        wrote = 1;
    }
    for (uint32_t j = i; j < n; j++) {
        if (in_denominator(f[j]))
            continue;
        emitf(b, wrote ? "*" : "");
        pr_factor(b, f[j]);
        wrote = 1;
    }
    if (!wrote)
        emitf(b, "1");
    if (!nden)
        return;
    emitf(b, "/");
    int paren = nden > 1; /* one factor binds tighter than / by itself */
    emitf(b, paren ? "(" : "");
    int first = 1;
    if (c && c->exact && expr_q(c) != 1) {
        emitf(b, "%lld", (long long)expr_q(c));
        first = 0;
    }
    for (uint32_t j = i; j < n; j++) {
        if (!in_denominator(f[j]))
            continue;
        emitf(b, first ? "" : "*");
        pr_power(b, f[j]->args[0], f[j]->args[1], 1);
        first = 0;
    }
    emitf(b, paren ? ")" : "");
}

/* Terms in canonical order, except that a sum starting with a negative term
 * starts with its first positive one instead: 1 - x, not -x + 1. */
static void pr_sum(Buf *b, const Expr *e)
{
    uint32_t lead = 0;
    while (lead < e->n && negative(e->args[lead]))
        lead++;
    if (lead == e->n)
        lead = 0;
    for (uint32_t k = 0; k < e->n; k++) {
        uint32_t i = k == 0 ? lead : k <= lead ? k - 1 : k;
        const Expr *t = unhold(e->args[i]);
        int neg = negative(t);
        if (k)
            emitf(b, neg ? " - " : " + ");
        else if (neg)
            emitf(b, "-");
        if (t->op == OP_NUM)
            pr_num(b, t, 1);
        else if (t->op == OP_MUL || in_denominator(t))
            pr_product(b, t, 1);
        else
            pr(b, t, P_ADD + 1);
    }
}

static const char *cmp_text(Op op)
{
    switch (op) {
    case OP_AND: return " && ";
    case OP_OR: return " || ";
    default: break;
    }
    static char s[8];
    snprintf(s, sizeof s, " %s ", op_info[op].name);
    return s;
}

static void pr_args(Buf *b, const char *name, Expr *const *args, uint32_t n)
{
    emitf(b, "%s(", name);
    for (uint32_t i = 0; i < n; i++) {
        emitf(b, i ? ", " : "");
        pr(b, args[i], 0);
    }
    emitf(b, ")");
}

static void pr(Buf *b, const Expr *e, int min)
{
    e = unhold(e);
    int p = prec(e), paren = p < min;
    emitf(b, paren ? "(" : "");
    switch (e->op) {
    case OP_NUM: pr_num(b, e, 0); break;
    case OP_VAR: emitf(b, "%s", e->name); break;
    case OP_PI: case OP_E: emitf(b, "%s", op_info[e->op].name); break;
    case OP_ADD: pr_sum(b, e); break;
    case OP_MUL: pr_product(b, e, 0); break;
    case OP_POW:
        if (in_denominator(e))
            pr_product(b, e, 0);
        else if (e->args[1]->op == OP_NUM)
            pr_power(b, e->args[0], e->args[1], 0);
        else {
            pr(b, e->args[0], P_POW + 1);
            emitf(b, "^");
            pr(b, e->args[1], P_POW);
        }
        break;
    case OP_SELECT:
        pr(b, e->args[0], P_OR);
        emitf(b, " ? ");
        pr(b, e->args[1], P_SELECT);
        emitf(b, " : ");
        pr(b, e->args[2], P_SELECT);
        break;
    case OP_CALL: pr_args(b, e->fn->name, e->args + 1, e->n - 1); break;
    default:
        if (op_info[e->op].kind == KIND_CMP) {
            pr(b, e->args[0], p);
            emitf(b, "%s", cmp_text((Op)e->op));
            pr(b, e->args[1], p + 1);
        } else {
            pr_args(b, op_info[e->op].name, e->args, e->n);
        }
    }
    emitf(b, paren ? ")" : "");
}

void print_infix(Buf *b, const Expr *e) { pr(b, e, 0); }

char *expr_to_string(const Expr *e)
{
    Buf b = {0};
    print_infix(&b, e);
    if (!b.s)
        emitf(&b, "");
    return b.s;
}

static size_t digits(int64_t v)
{
    size_t n = 1;
    for (uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v; u >= 10; u /= 10)
        n++;
    return n;
}

/* The most characters one node adds to the text around its arguments':
 * what pr and its helpers write for it (a sign, separators, "1/", "sqrt(",
 * "^" and an exponent's parentheses), and the parentheses it may stand in
 * unless it is an atom. */
static size_t own_text(const Expr *e)
{
    size_t n = e->n;
    switch (e->op) {
    case OP_NUM: {
        if (!isfinite(e->num))
            return 2 + 4; /* (-1/0) */
        size_t len;
        if (e->exact) {
            len = digits(expr_p(e)) + (expr_p(e) < 0) +
                  (expr_q(e) != 1 ? 1 + digits(expr_q(e)) : 0);
        } else {
            char text[40];
            fmt_double(text, sizeof text, e->num);
            len = strlen(text);
        }
        return len + (num_prec(e) < P_ATOM ? 2 : 0);
    }
    case OP_VAR: return strlen(e->name);
    case OP_PI: case OP_E: return 2;
    case OP_ADD: return 2 + 1 + 3 * n;    /* a leading "-", " + " each */
    case OP_MUL: return 2 + 5 + n;        /* "*" or "/" each; "-", "1", "/(...)" */
    case OP_POW: return 2 + 6;            /* "1/", "^", "(...)"; or "sqrt(...)" */
    case OP_SELECT: return 2 + 6;         /* " ? " " : " */
    case OP_CALL: return strlen(e->fn->name) + 2 * n; /* "name(", ", " each, ")" */
    default:
        if (op_info[e->op].kind == KIND_CMP)
            return 2 + 4; /* " <= " */
        return strlen(op_info[e->op].name) + 2 + 2 * n;
    }
}

size_t expr_text_bound(SgCtx *ctx, Expr *const *roots, size_t nroots, size_t limit)
{
    size_t n = sg_node_count(ctx), sp = 0, cap = 64, sum = 0;
    size_t *len = sg_realloc(NULL, n * sizeof *len); /* by node id; SIZE_MAX: not yet */
    const Expr **stack = sg_realloc(NULL, cap * sizeof *stack);
    memset(len, 0xff, n * sizeof *len);
    for (size_t r = 0; r < nroots; r++) {
        stack[sp++] = roots[r];
        while (sp) { /* after its arguments, each node once: no recursion on depth */
            const Expr *t = stack[sp - 1];
            if (len[t->id] != SIZE_MAX) {
                sp--;
                continue;
            }
            uint32_t first = t->op == OP_CALL; /* a call prints its actuals, not its value */
            size_t total = own_text(t), pending = sp;
            for (uint32_t i = first; i < t->n; i++) {
                size_t a = len[t->args[i]->id];
                if (a == SIZE_MAX) {
                    if (sp == cap)
                        stack = sg_realloc(stack, (cap *= 2) * sizeof *stack);
                    stack[sp++] = t->args[i];
                } else {
                    total = a > limit || total > limit - a ? limit + 1 : total + a; /* saturates */
                }
            }
            if (sp == pending) {
                len[t->id] = total > limit ? limit + 1 : total;
                sp--;
            }
        }
        size_t a = len[roots[r]->id];
        sum = a > limit || sum > limit - a ? limit + 1 : sum + a;
    }
    free(len);
    free(stack);
    return sum;
}
