/* simplify.c - the canonical constructors. Every sum, product, power and call
 * is simplified as it is built, so the graph only ever holds canonical nodes:
 *   - sums are flat, like terms collected (2*x + 3*x -> 5*x), the numeric
 *     constant folded and last;
 *   - products are flat, one numeric coefficient first, powers of the same
 *     base merged (x*x -> x^2), a number distributed over a lone sum;
 *   - division is a product with a power -1, subtraction a sum with a
 *     coefficient -1; exact rationals stay exact (1/3 stays 1/3);
 *   - functions of constants fold where the result is exact, functions of
 *     inexact numbers fold to numbers.
 * The printers turn this form back into what a person writes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

/* ---- numbers ------------------------------------------------------------- */

static Expr *num_add(SgCtx *ctx, const Expr *a, const Expr *b)
{
    if (a->exact && b->exact) {
        int64_t x, y, p, q;
        if (!__builtin_mul_overflow(expr_p(a), expr_q(b), &x) &&
            !__builtin_mul_overflow(expr_p(b), expr_q(a), &y) &&
            !__builtin_add_overflow(x, y, &p) &&
            !__builtin_mul_overflow(expr_q(a), expr_q(b), &q))
            return expr_rat(ctx, p, q);
    }
    return expr_num(ctx, a->num + b->num);
}

static Expr *num_mul(SgCtx *ctx, const Expr *a, const Expr *b)
{
    if (a->exact && b->exact) {
        int64_t p, q;
        if (!__builtin_mul_overflow(expr_p(a), expr_p(b), &p) &&
            !__builtin_mul_overflow(expr_q(a), expr_q(b), &q))
            return expr_rat(ctx, p, q);
    }
    return expr_num(ctx, a->num * b->num);
}

/* base^k exactly, or 0 on overflow. */
static int ipow(int64_t base, int64_t k, int64_t *out)
{
    int64_t r = 1;
    for (int64_t i = 0; i < k; i++)
        if (__builtin_mul_overflow(r, base, &r))
            return 0;
    *out = r;
    return 1;
}

/* The integer s-th root of v >= 0 when v is a perfect power, else -1. */
static int64_t iroot(int64_t v, int64_t s)
{
    int64_t r = (int64_t)llround(pow((double)v, 1.0 / (double)s));
    for (int64_t c = r > 0 ? r - 1 : 0; c <= r + 1; c++) {
        int64_t t;
        if (ipow(c, s, &t) && t == v)
            return c;
    }
    return -1;
}

/* a^b folded, or NULL when the exact result is not a rational (2^(1/2)). */
static Expr *num_pow(SgCtx *ctx, const Expr *a, const Expr *b)
{
    if (!a->exact || !b->exact)
        return expr_num(ctx, pow(a->num, b->num));
    if (expr_p(b) == 0)
        return expr_int(ctx, 1);
    if (expr_q(b) > 64 || expr_p(b) > 64 || expr_p(b) < -64)
        return NULL;
    int64_t p = expr_p(a), q = expr_q(a);
    if (expr_q(b) != 1) { /* a root: exact only for perfect powers of a >= 0 */
        if (p < 0)
            return NULL;
        p = iroot(p, expr_q(b));
        q = iroot(q, expr_q(b));
        if (p < 0 || q < 0)
            return NULL;
    }
    int64_t k = expr_p(b) < 0 ? -expr_p(b) : expr_p(b), pk, qk;
    if (!ipow(p, k, &pk) || !ipow(q, k, &qk))
        return expr_q(b) == 1 ? expr_num(ctx, pow(a->num, b->num)) : NULL;
    return expr_p(b) < 0 ? expr_rat(ctx, qk, pk) : expr_rat(ctx, pk, qk);
}

/* ---- the canonical order --------------------------------------------------- */

static int rank(const Expr *e)
{
    switch (e->op) {
    case OP_NUM: return 0;
    case OP_VAR: case OP_PI: case OP_E: return 1;
    case OP_ADD: return 3;
    default: return 2;
    }
}

static const char *leaf_name(const Expr *e)
{
    return e->op == OP_VAR ? e->name : op_info[e->op].name;
}

/* Compare up to budget levels deep; past that, the structural hash decides
 * (still deterministic), so sorting deep expressions stays cheap. */
static int cmp_budget(const Expr *a, const Expr *b, int budget)
{
    if (a == b)
        return 0;
    int c = rank(a) - rank(b);
    if (c)
        return c;
    switch (rank(a)) {
    case 0:
        if (a->num != b->num)
            return a->num < b->num ? -1 : 1;
        return a->exact != b->exact ? b->exact - a->exact : (a->id < b->id ? -1 : 1);
    case 1:
        return strcmp(leaf_name(a), leaf_name(b));
    }
    if (a->op != b->op) {
        c = strcmp(op_info[a->op].name, op_info[b->op].name);
        return c ? c : a->op - b->op;
    }
    if (a->op == OP_CALL && a->fn != b->fn) {
        c = strcmp(a->fn->name, b->fn->name);
        if (c)
            return c;
    }
    if (a->depth != b->depth) /* shallower first: x before sin(sin(x)) */
        return a->depth < b->depth ? -1 : 1;
    if (budget > 0) {
        for (uint32_t i = 0; i < a->n && i < b->n; i++)
            if ((c = cmp_budget(a->args[i], b->args[i], budget - 1)))
                return c;
        if (a->n != b->n)
            return a->n < b->n ? -1 : 1;
    }
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return a->id < b->id ? -1 : 1; /* a hash collision, or two defs of one name */
}

int expr_cmp(const Expr *a, const Expr *b) { return cmp_budget(a, b, 24); }

static Expr *base_of(Expr *e) { return e->op == OP_POW ? e->args[0] : e; }

/* Product order: the coefficient, then by base, lower powers first. */
static int factor_cmp(const void *pa, const void *pb)
{
    Expr *a = *(Expr *const *)pa, *b = *(Expr *const *)pb;
    if ((a->op == OP_NUM) != (b->op == OP_NUM))
        return a->op == OP_NUM ? -1 : 1;
    int c = expr_cmp(base_of(a), base_of(b));
    return c ? c : expr_cmp(a, b);
}

/* True for the coefficient 1, exact or not: it is not written. */
static int is_unit(const Expr *c) { return c->op == OP_NUM && c->num == 1; }

static Expr *exp_of(SgCtx *ctx, Expr *e)
{
    return e->op == OP_POW ? e->args[1] : expr_int(ctx, 1);
}

/* Compare the exponents of two factors with equal bases: higher first. */
static int exp_cmp(const Expr *fa, const Expr *fb)
{
    const Expr *ea = fa->op == OP_POW ? fa->args[1] : NULL;
    const Expr *eb = fb->op == OP_POW ? fb->args[1] : NULL;
    double va = ea ? (ea->op == OP_NUM ? ea->num : NAN) : 1;
    double vb = eb ? (eb->op == OP_NUM ? eb->num : NAN) : 1;
    if (!isnan(va) && !isnan(vb) && va != vb)
        return va > vb ? -1 : 1;
    if (ea && eb)
        return expr_cmp(ea, eb);
    return ea == eb ? 0 : ea ? -1 : 1;
}

/* Sum order: like a polynomial, higher powers of the leading base first,
 * the constant last. */
static int term_cmp(const void *pa, const void *pb)
{
    Expr *a = *(Expr *const *)pa, *b = *(Expr *const *)pb;
    if ((a->op == OP_NUM) != (b->op == OP_NUM))
        return a->op == OP_NUM ? 1 : -1;
    if (a->op == OP_NUM)
        return expr_cmp(a, b);
    Expr *const *fa = a->op == OP_MUL ? a->args : (Expr *const *)pa;
    Expr *const *fb = b->op == OP_MUL ? b->args : (Expr *const *)pb;
    uint32_t na = a->op == OP_MUL ? a->n : 1, nb = b->op == OP_MUL ? b->n : 1;
    uint32_t i = fa[0]->op == OP_NUM, j = fb[0]->op == OP_NUM;
    for (; i < na && j < nb; i++, j++) {
        int c = expr_cmp(base_of(fa[i]), base_of(fb[j]));
        if (c || (c = exp_cmp(fa[i], fb[j])))
            return c;
    }
    if ((i < na) != (j < nb))
        return i < na ? -1 : 1;
    return expr_cmp(a, b);
}

/* The end of the ascending run of v[i..n). */
static size_t run_end(Expr **v, size_t i, size_t n, int (*cmp)(const void *, const void *))
{
    while (++i < n && cmp(&v[i - 1], &v[i]) <= 0)
        ;
    return i;
}

/* Sort v by merging its ascending runs (a natural merge sort): a sorted list
 * costs one pass, a sorted one with a few elements added a few; a few
 * descents may still move elements far (w1..w9, then w10 among them). */
static void sort_nodes(Expr **v, size_t n, int (*cmp)(const void *, const void *))
{
    if (n < 2 || run_end(v, 0, n, cmp) == n)
        return;
    Expr **tmp = malloc(n * sizeof *tmp), **src = v, **dst = tmp;
    if (!tmp)
        abort();
    for (;;) {
        size_t i = 0, k = 0, runs = 0;
        while (i < n) {
            size_t m = run_end(src, i, n, cmp), e = m < n ? run_end(src, m, n, cmp) : n;
            size_t a = i, b = m;
            while (a < m && b < e)
                dst[k++] = cmp(&src[b], &src[a]) < 0 ? src[b++] : src[a++];
            while (a < m)
                dst[k++] = src[a++];
            while (b < e)
                dst[k++] = src[b++];
            runs += 1 + (m < n);
            i = e;
        }
        Expr **t = src;
        src = dst, dst = t;
        if (runs <= 2) /* merged into one */
            break;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    free(tmp);
}

/* ---- a growable list of nodes ----------------------------------------------- */

typedef struct {
    Expr **v;
    size_t n, cap;
    Expr *small[16];
} List;

static void list_init(List *l) { l->v = l->small, l->n = 0, l->cap = 16; }

static void list_push(List *l, Expr *e)
{
    if (l->n == l->cap) {
        Expr **v = malloc(l->cap * 2 * sizeof *v);
        if (!v)
            abort();
        memcpy(v, l->v, l->n * sizeof *v);
        if (l->v != l->small)
            free(l->v);
        l->v = v;
        l->cap *= 2;
    }
    l->v[l->n++] = e;
}

static void list_free(List *l)
{
    if (l->v != l->small)
        free(l->v);
}

/* Where key already is in keys (index + 1), or 0. Short lists are scanned;
 * long ones go through the map, filled on first use. */
static size_t find_key(Map *where, const List *keys, const Expr *key)
{
    if (keys->n <= 8 && !where->cap) {
        for (size_t i = 0; i < keys->n; i++)
            if (keys->v[i] == key)
                return i + 1;
        return 0;
    }
    if (!where->cap)
        for (size_t i = 0; i < keys->n; i++)
            map_put(where, map_key(keys->v[i], NULL), (Expr *)(uintptr_t)(i + 1));
    return (size_t)(uintptr_t)map_get(where, map_key(key, NULL));
}

static void remember_key(Map *where, const Expr *key, size_t index)
{
    if (where->cap)
        map_put(where, map_key(key, NULL), (Expr *)(uintptr_t)index);
}

/* ---- sums ----------------------------------------------------------------- */

/* Split a term into its numeric coefficient and the rest. */
static Expr *split_term(SgCtx *ctx, Expr *t, Expr **rest)
{
    if (t->op == OP_MUL && t->args[0]->op == OP_NUM) {
        *rest = t->n == 2 ? t->args[1]
                          : expr_intern(ctx, OP_MUL, t->args + 1, t->n - 1, 0, 0, 0, 1, NULL, NULL);
        return t->args[0];
    }
    *rest = t;
    return expr_int(ctx, 1);
}

/* coeff * rest for canonical rest that is no sum: rest's factors stay sorted. */
static Expr *make_term(SgCtx *ctx, Expr *c, Expr *rest)
{
    if (is_unit(c))
        return rest;
    if (rest->op != OP_MUL)
        return expr_mul(ctx, c, rest);
    List f;
    list_init(&f);
    list_push(&f, c);
    for (uint32_t i = 0; i < rest->n; i++)
        list_push(&f, rest->args[i]);
    Expr *r = expr_intern(ctx, OP_MUL, f.v, f.n, 0, 0, 0, 1, NULL, NULL);
    list_free(&f);
    return r;
}

static void flatten(List *l, Expr **xs, size_t n, Op op)
{
    for (size_t i = 0; i < n; i++) {
        if (xs[i]->op == op)
            for (uint32_t j = 0; j < xs[i]->n; j++)
                list_push(l, xs[i]->args[j]);
        else
            list_push(l, xs[i]);
    }
}

Expr *expr_add_n(SgCtx *ctx, Expr **terms, size_t n)
{
    if (n == 1)
        return terms[0];
    List flat, rests, coefs, origs, out;
    list_init(&flat), list_init(&rests), list_init(&coefs), list_init(&origs), list_init(&out);
    flatten(&flat, terms, n, OP_ADD);
    Map where = {0}; /* rest -> index + 1 in rests, as a fake node pointer */
    Expr *constant = expr_int(ctx, 0);
    for (size_t i = 0; i < flat.n; i++) {
        Expr *t = flat.v[i], *rest;
        if (t->op == OP_NUM) {
            constant = num_add(ctx, constant, t);
            continue;
        }
        Expr *c = split_term(ctx, t, &rest);
        size_t at = find_key(&where, &rests, rest);
        if (at) {
            coefs.v[at - 1] = num_add(ctx, coefs.v[at - 1], c);
            origs.v[at - 1] = NULL;
        } else {
            list_push(&rests, rest);
            list_push(&coefs, c);
            list_push(&origs, t); /* a canonical term met once is kept as it is */
            remember_key(&where, rest, rests.n);
        }
    }
    if (rests.n == 1 && constant->exact && fabs(constant->num) == 1 && fabs(coefs.v[0]->num) == 1) {
        /* forms that cancel: 1 - sigmoid(u), 1 - tanh(u)^2, exp(u) - 1 */
        Expr *r = rests.v[0], *u = NULL;
        double c = constant->num, k = coefs.v[0]->num;
        if (c == 1 && k == -1 && r->op == OP_SIGMOID) /* sigmoid(-u) */
            u = expr_call1(ctx, OP_SIGMOID, expr_neg(ctx, r->args[0]));
        else if (c == 1 && k == -1 && r->op == OP_POW && r->args[0]->op == OP_TANH &&
                 r->args[1]->op == OP_NUM && r->args[1]->num == 2) /* 1/cosh(u)^2 */
            u = expr_pow(ctx, expr_call1(ctx, OP_COSH, r->args[0]->args[0]), expr_int(ctx, -2));
        else if (c == -1 && k == 1 && r->op == OP_EXP) /* expm1(u) */
            u = expr_call1(ctx, OP_EXPM1, r->args[0]);
        else if (c == 1 && k == 1 && r->op == OP_EXPM1) /* 1 + expm1(u) = exp(u) */
            u = expr_call1(ctx, OP_EXP, r->args[0]);
        if (u) {
            map_free(&where);
            list_free(&flat), list_free(&rests), list_free(&coefs), list_free(&origs), list_free(&out);
            return u;
        }
    }
    for (size_t i = 0; i < rests.n; i++)
        if (!expr_is_zero(coefs.v[i]))
            list_push(&out, origs.v[i] ? origs.v[i] : make_term(ctx, coefs.v[i], rests.v[i]));
    if (!expr_is_zero(constant) || (!constant->exact && out.n == 0))
        list_push(&out, constant);
    Expr *r;
    if (out.n == 0)
        r = expr_int(ctx, 0);
    else if (out.n == 1)
        r = out.v[0];
    else {
        sort_nodes(out.v, out.n, term_cmp);
        r = expr_intern(ctx, OP_ADD, out.v, out.n, 0, 0, 0, 1, NULL, NULL);
    }
    map_free(&where);
    list_free(&flat), list_free(&rests), list_free(&coefs), list_free(&origs), list_free(&out);
    return r;
}

/* ---- products ------------------------------------------------------------- */

static Expr *mul_finish(SgCtx *ctx, Expr *c, List *f)
{
    if (f->n == 0)
        return c;
    if (is_unit(c)) {
        if (f->n == 1)
            return f->v[0];
    } else if (f->n == 1 && f->v[0]->op == OP_ADD) { /* 2*(x+1) -> 2*x + 2 */
        Expr *s = f->v[0];
        List t;
        list_init(&t);
        for (uint32_t i = 0; i < s->n; i++)
            list_push(&t, expr_mul(ctx, c, s->args[i]));
        Expr *r = expr_add_n(ctx, t.v, t.n);
        list_free(&t);
        return r;
    } else {
        list_push(f, c); /* sorts to the front */
    }
    sort_nodes(f->v, f->n, factor_cmp);
    return expr_intern(ctx, OP_MUL, f->v, f->n, 0, 0, 0, 1, NULL, NULL);
}

/* sinh(u)^a * cosh(u)^b with a > 0 > b: tanh(u)^k takes k = min(a, -b)
 * of each, so sinh(u)/cosh(u) is tanh(u), and sinh(u)/cosh(u)^3 is
 * tanh(u)/cosh(u)^2, which does not overflow where cosh(u)^3 does. (A scan
 * for each sinh: a product holds few.) */
static void tanh_of_ratio(SgCtx *ctx, List *bases, List *exps, Map *where)
{
    for (size_t i = 0, nsinh = 0; i < bases->n && nsinh < 8; i++) {
        Expr *sh = bases->v[i], *a = exps->v[i];
        if (sh->op != OP_SINH || a->op != OP_NUM || !(a->num > 0))
            continue;
        nsinh++;
        for (size_t j = 0; j < bases->n; j++) {
            Expr *ch = bases->v[j], *b = exps->v[j];
            if (ch->op != OP_COSH || ch->args[0] != sh->args[0] || b->op != OP_NUM || !(b->num < 0))
                continue;
            Expr *k = a->num < -b->num ? a : expr_neg(ctx, b);
            exps->v[i] = expr_sub(ctx, a, k);
            exps->v[j] = expr_add(ctx, b, k);
            Expr *th = expr_call1(ctx, OP_TANH, sh->args[0]);
            size_t at = find_key(where, bases, th);
            if (at) {
                exps->v[at - 1] = expr_add(ctx, exps->v[at - 1], k);
            } else {
                list_push(bases, th);
                list_push(exps, k);
                remember_key(where, th, bases->n);
            }
            break;
        }
    }
}

/* exp(u) * sigmoid(-u) = exp(u)/(1 + exp(u)) = sigmoid(u), which does not
 * overflow. (A scan for each exp: a product holds few.) */
static int sigmoid_of_ratio(SgCtx *ctx, List *bases, List *exps)
{
    int changed = 0;
    for (size_t i = 0, nexp = 0; i < bases->n && nexp < 8; i++) {
        Expr *ex = bases->v[i];
        if (ex->op != OP_EXP || !is_unit(exps->v[i]))
            continue;
        nexp++;
        for (size_t j = 0; j < bases->n; j++) {
            Expr *sg = bases->v[j];
            if (sg->op != OP_SIGMOID || !is_unit(exps->v[j]) || expr_neg(ctx, sg->args[0]) != ex->args[0])
                continue;
            bases->v[i] = expr_call1(ctx, OP_SIGMOID, ex->args[0]);
            exps->v[j] = expr_int(ctx, 0);
            changed = 1;
            break;
        }
    }
    return changed;
}

Expr *expr_mul_n(SgCtx *ctx, Expr **factors, size_t n)
{
    if (n == 1)
        return factors[0];
    if (n == 2) { /* number * one plain factor: what the general path below gives, quickly */
        Expr *c = factors[0], *f = factors[1];
        if (f->op == OP_NUM)
            c = factors[1], f = factors[0];
        if (c->op == OP_NUM && f->op != OP_NUM && f->op != OP_MUL && f->op != OP_ADD &&
            f->op != OP_POW) {
            if (expr_is_zero(c) || is_unit(c))
                return expr_is_zero(c) ? c : f;
            Expr *cf[2] = {c, f};
            return expr_intern(ctx, OP_MUL, cf, 2, 0, 0, 0, 1, NULL, NULL);
        }
    }
    List flat, bases, exps, out;
    list_init(&flat), list_init(&bases), list_init(&exps), list_init(&out);
    flatten(&flat, factors, n, OP_MUL);
    Map where = {0};
    Expr *c = expr_int(ctx, 1);
    for (size_t i = 0; i < flat.n; i++) {
        Expr *f = flat.v[i];
        if (f->op == OP_NUM) {
            c = num_mul(ctx, c, f);
            continue;
        }
        Expr *b = base_of(f), *e = exp_of(ctx, f);
        size_t at = find_key(&where, &bases, b);
        if (at) {
            exps.v[at - 1] = expr_add(ctx, exps.v[at - 1], e);
        } else {
            list_push(&bases, b);
            list_push(&exps, e);
            remember_key(&where, b, bases.n);
        }
    }
    Expr *r;
    if (expr_is_zero(c)) {
        r = c;
        goto done;
    }
    tanh_of_ratio(ctx, &bases, &exps, &where);
    int again = sigmoid_of_ratio(ctx, &bases, &exps); /* a sigmoid may now meet another */
    /* a merged power became a number or a product */
    for (size_t i = 0; i < bases.n; i++) {
        Expr *p = expr_pow(ctx, bases.v[i], exps.v[i]);
        if (p->op == OP_NUM)
            c = num_mul(ctx, c, p);
        else {
            again |= p->op == OP_MUL;
            list_push(&out, p);
        }
    }
    if (again) {
        list_push(&out, c);
        r = expr_mul_n(ctx, out.v, out.n);
    } else {
        r = mul_finish(ctx, c, &out);
    }
done:
    map_free(&where);
    list_free(&flat), list_free(&bases), list_free(&exps), list_free(&out);
    return r;
}

Expr *expr_add(SgCtx *ctx, Expr *a, Expr *b)
{
    Expr *t[2] = {a, b};
    return expr_add_n(ctx, t, 2);
}

Expr *expr_mul(SgCtx *ctx, Expr *a, Expr *b)
{
    Expr *f[2] = {a, b};
    return expr_mul_n(ctx, f, 2);
}

Expr *expr_neg(SgCtx *ctx, Expr *a) { return expr_mul(ctx, expr_int(ctx, -1), a); }
Expr *expr_sub(SgCtx *ctx, Expr *a, Expr *b) { return expr_add(ctx, a, expr_neg(ctx, b)); }

Expr *expr_div(SgCtx *ctx, Expr *a, Expr *b)
{
    return expr_mul(ctx, a, expr_pow(ctx, b, expr_int(ctx, -1)));
}

/* ---- powers --------------------------------------------------------------- */

/* u for a sum 1 + u (the exact constant 1 sorts last), else NULL. */
static Expr *one_plus(SgCtx *ctx, Expr *sum)
{
    if (sum->op != OP_ADD)
        return NULL;
    Expr *c = sum->args[sum->n - 1];
    if (c->op != OP_NUM || !c->exact || c->num != 1)
        return NULL;
    return expr_add_n(ctx, sum->args, sum->n - 1);
}

static int is_minus_one(const Expr *e) { return e->op == OP_NUM && e->exact && e->num == -1; }

/* The square root of a term: u for u^2, 1 for the exact 1; else NULL. */
static Expr *root_of_square(SgCtx *ctx, Expr *t)
{
    if (t->op == OP_POW && t->args[1]->op == OP_NUM && t->args[1]->exact && t->args[1]->num == 2)
        return t->args[0];
    return t->op == OP_NUM && t->exact && t->num == 1 ? expr_int(ctx, 1) : NULL;
}

/* hypot(u, v) for a sum u^2 + v^2 (or u^2 + 1), else NULL. */
static Expr *hypot_of(SgCtx *ctx, Expr *sum)
{
    if (sum->n != 2)
        return NULL;
    Expr *u = root_of_square(ctx, sum->args[0]), *v = root_of_square(ctx, sum->args[1]);
    return u && v ? expr_call2(ctx, OP_HYPOT, u, v) : NULL;
}

Expr *expr_pow(SgCtx *ctx, Expr *b, Expr *e)
{
    if (expr_is_zero(e))
        return expr_int(ctx, 1);
    if (is_unit(e))
        return b->op == OP_NUM && !e->exact ? expr_num(ctx, b->num) : b;
    if (b->op == OP_NUM && e->op == OP_NUM) {
        Expr *r = num_pow(ctx, b, e);
        if (r)
            return r;
    }
    if (expr_is_one(b))
        return b;
    if (expr_is_zero(b) && b->exact && e->op == OP_NUM && e->num > 0)
        return b;
    if (b->op == OP_E)
        return expr_call1(ctx, OP_EXP, e);
    if (b->op == OP_ADD && e->op == OP_NUM && e->exact && fabs(e->num) == 0.5) {
        Expr *h = hypot_of(ctx, b); /* sqrt(u^2 + v^2) = hypot(u, v): no overflow */
        if (h)
            return e->num > 0 ? h : expr_pow(ctx, h, expr_int(ctx, -1));
    }
    if (b->op == OP_ADD && is_minus_one(e)) { /* 1/(1 + exp(-u)) = sigmoid(u) */
        Expr *u = one_plus(ctx, b);
        if (u && u->op == OP_EXP)
            return expr_call1(ctx, OP_SIGMOID, expr_neg(ctx, u->args[0]));
    }
    if (b->op == OP_EXP)
        return expr_call1(ctx, OP_EXP, expr_mul(ctx, b->args[0], e));
    if (expr_is_int(e)) {
        if (b->op == OP_POW)
            return expr_pow(ctx, b->args[0], expr_mul(ctx, b->args[1], e));
        if (b->op == OP_MUL) {
            List f;
            list_init(&f);
            for (uint32_t i = 0; i < b->n; i++)
                list_push(&f, expr_pow(ctx, b->args[i], e));
            Expr *r = expr_mul_n(ctx, f.v, f.n);
            list_free(&f);
            return r;
        }
    }
    Expr *args[2] = {b, e};
    return expr_intern(ctx, OP_POW, args, 2, 0, 0, 0, 1, NULL, NULL);
}

/* ---- calls ---------------------------------------------------------------- */

static int is_cmp_or_int_op(Op op)
{
    switch (op) {
    case OP_ABS: case OP_SIGN: case OP_FLOOR: case OP_CEIL: case OP_RELU:
    case OP_MIN: case OP_MAX: case OP_CLAMP:
        return 1;
    default:
        return op_info[op].kind == KIND_CMP;
    }
}

/* Fold a call whose arguments are all numbers; NULL to keep it symbolic. */
static Expr *fold_call(SgCtx *ctx, Op op, Expr **args, size_t n)
{
    double v[3] = {0, 0, 0};
    int exact = 1;
    for (size_t i = 0; i < n; i++) {
        v[i] = args[i]->num;
        exact &= args[i]->exact;
    }
    if (!exact)
        return expr_num(ctx, eval_op(op, v));
    if (op == OP_ABS)
        return expr_p(args[0]) < 0 ? expr_rat(ctx, -expr_p(args[0]), expr_q(args[0])) : args[0];
    if (op == OP_MIN || op == OP_MAX || op == OP_CLAMP || op == OP_RELU) {
        double r = eval_op(op, v);
        for (size_t i = 0; i < n; i++)
            if (args[i]->num == r)
                return args[i];
        return expr_int(ctx, 0);
    }
    if (op == OP_FLOOR || op == OP_CEIL) { /* in integers: p/q can be near 2^63 */
        int64_t p = expr_p(args[0]), q = expr_q(args[0]), r = p % q; /* q > 0 */
        return expr_int(ctx, p / q - (op == OP_FLOOR && r < 0) + (op == OP_CEIL && r > 0));
    }
    double r = eval_op(op, v);
    if (is_cmp_or_int_op(op)) /* sign and comparisons: -1, 0 or 1 */
        return expr_int(ctx, (int64_t)r);
    /* transcendental identities at 0 and 1: sin(0) = 0, log(1) = 0, ... */
    if ((args[0]->num == 0 || args[0]->num == 1) && n == 1 && r == floor(r) &&
        fabs(r) < 2)
        return expr_int(ctx, (int64_t)r);
    return NULL;
}

Expr *expr_call(SgCtx *ctx, Op op, Expr **args, size_t n)
{
    switch (op) {
    case OP_POW: return expr_pow(ctx, args[0], args[1]);
    case OP_SQRT: return expr_pow(ctx, args[0], expr_rat(ctx, 1, 2));
    case OP_ADD: return expr_add_n(ctx, args, n);
    case OP_MUL: return expr_mul_n(ctx, args, n);
    case OP_SELECT:
        if (args[0]->op == OP_NUM && !isnan(args[0]->num))
            return args[0]->num != 0 ? args[1] : args[2];
        if (args[1] == args[2])
            return args[1];
        if (op_info[args[0]->op].kind == KIND_CMP && expr_is_one(args[1]) &&
            expr_is_zero(args[2]) && args[2]->exact)
            return args[0]; /* a comparison is already 1 or 0 */
        break;
    case OP_HOLD: /* kept whole: a sum or product is not flattened into its
                   * parent, so a chain of adjoints stays linear in size */
        if (args[0]->op == OP_NUM || args[0]->op == OP_VAR || args[0]->op == OP_PI ||
            args[0]->op == OP_E || args[0]->op == OP_HOLD)
            return args[0];
        break;
    case OP_STOP:
        if (args[0]->op == OP_NUM || args[0]->op == OP_PI || args[0]->op == OP_E ||
            args[0]->op == OP_STOP)
            return args[0];
        break;
    case OP_LOG:
        if (args[0]->op == OP_E)
            return expr_int(ctx, 1);
        if (args[0]->op == OP_EXP)
            return args[0]->args[0];
        if (args[0]->op == OP_ADD) { /* log(1 + u) = log1p(u), exact for small u */
            Expr *u = one_plus(ctx, args[0]);
            if (u)
                return expr_call1(ctx, OP_LOG1P, u);
        }
        break;
    case OP_LOG1P:
        if (args[0]->op == OP_EXPM1) /* log1p(expm1(u)) = u */
            return args[0]->args[0];
        if (args[0]->op == OP_EXP) /* log(1 + exp(u)) = softplus(u), which does not overflow */
            return expr_call1(ctx, OP_SOFTPLUS, args[0]->args[0]);
        break;
    case OP_ABS:
        if (args[0]->op == OP_ABS)
            return args[0];
        break;
    default:
        break;
    }
    int all_num = 1;
    for (size_t i = 0; i < n; i++)
        all_num &= args[i]->op == OP_NUM;
    if (all_num && op != OP_SELECT && op != OP_STOP) {
        Expr *r = fold_call(ctx, op, args, n);
        if (r)
            return r;
    }
    return expr_intern(ctx, op, args, n, 0, 0, 0, 1, NULL, NULL);
}

Expr *expr_call1(SgCtx *ctx, Op op, Expr *a) { return expr_call(ctx, op, &a, 1); }

Expr *expr_call2(SgCtx *ctx, Op op, Expr *a, Expr *b)
{
    Expr *args[2] = {a, b};
    return expr_call(ctx, op, args, 2);
}

Expr *expr_user(SgCtx *ctx, const UserFn *fn, Expr **actuals)
{
    Expr *value = expr_subst(ctx, fn->body, fn->params, actuals, (size_t)fn->nparams);
    if (!fn->grad)
        return value;
    List a;
    list_init(&a);
    list_push(&a, value);
    for (int i = 0; i < fn->nparams; i++)
        list_push(&a, actuals[i]);
    Expr *r = expr_intern(ctx, OP_CALL, a.v, a.n, 0, 0, 0, 1, NULL, fn);
    list_free(&a);
    return r;
}

Expr *expr_rebuild(SgCtx *ctx, const Expr *e, Expr **args)
{
    switch (e->op) {
    case OP_NUM: case OP_VAR: case OP_PI: case OP_E:
        return (Expr *)e;
    case OP_CALL:
        return expr_user(ctx, e->fn, args + 1);
    default:
        return expr_call(ctx, (Op)e->op, args, e->n);
    }
}
