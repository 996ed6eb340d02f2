/* emit_c.c - the one route from the graph to C. Schedules the nodes of all
 * outputs together so each shared subexpression is computed once into a
 * temporary (numbered in a stable order), writes small integer powers as
 * multiplications, and puts each branch of ?: in its own block so the branch
 * not taken is never evaluated. Helpers (stable sigmoid, ...) are written
 * only when used. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

/* C precedence of an emitted expression text. */
enum { C_COND = 3, C_OR, C_AND, C_EQ = 9, C_REL, C_ADD = 12, C_MUL, C_UNARY, C_ATOM = 16 };

typedef struct {
    char *text; /* C expression */
    int prec;
} Code;

/* A block of the emitted function: the nodes given a name inside it, which
 * lose that name when the block closes. */
typedef struct Scope {
    uint32_t *ids;
    size_t n, cap;
    struct Scope *up;
} Scope;

typedef struct {
    Buf *out;
    Expr **spec_outputs; /* the outputs of the body being written */
    size_t spec_noutputs;
    uint32_t *uses;     /* by node id: how many parents (or outputs) use it */
    uint32_t *named;    /* by node id: index + 1 into names, 0 = not named */
    size_t nids;        /* length of uses and named */
    uint32_t *counted;  /* the ids count_uses gave a use, to clear after the body */
    size_t ncounted, counted_cap;
    Scope *scope;
    int indent;
    int ntemps;
    char **names;       /* names[i]: C text for a param or temporary */
    size_t nnames, cap;
    unsigned long long helpers; /* bit per helper op used */
    SgCtx *ctx;         /* to find x^2 nodes for sharing squares; may be NULL */
    const char *real;   /* "double" or "float" */
    const char *suffix; /* "" or "f": on literals and libm names */
    Expr **tangents;    /* NAME_hvp's body: these variables are v[0], v[1], ... */
    size_t ntangents;
} Emitter;

/* Names a variable cannot keep in C: keywords, what <math.h> and
 * <stddef.h> declare or define, and the emitter's own names. */
static const char *c_reserved[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "asm",
    "in", "out", "grad", "hess", "v", "n", "i", "size_t", "ptrdiff_t", "wchar_t", "offsetof",
    "NULL", "INFINITY", "NAN", "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "math_errhandling",
    "MATH_ERRNO", "MATH_ERREXCEPT", "isnan", "isinf", "isfinite", "isnormal", "signbit",
    "fpclassify", "isgreater", "isless", "islessgreater", "isunordered",
    "isgreaterequal", "islessequal", "float_t", "double_t", "signgam",
    NULL,
};

/* libm functions; each also with an f and an l suffix. */
static const char *c_libm[] = {
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil",
    "copysign", "cos", "cosh", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "fdim",
    "floor", "fma", "fmax", "fmin", "fmod", "frexp", "gamma", "hypot", "ilogb", "j0",
    "j1", "jn", "ldexp", "lgamma", "llrint", "llround", "log", "log10", "log1p", "log2",
    "logb", "lrint", "lround", "modf", "nan", "nearbyint", "nextafter", "nexttoward",
    "pow", "remainder", "remquo", "rint", "round", "scalbln", "scalbn", "sin", "sinh",
    "sqrt", "tan", "tanh", "tgamma", "trunc", "y0", "y1", "yn", NULL,
};

/* Would name clash with C, libm or the emitter if used as it is? */
int emit_c_clash(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == 't' && n > 1 && strspn(name + 1, "0123456789") == n - 1)
        return 1; /* the emitter's temporaries */
    if (!strncmp(name, "sg_", 3) || !strncmp(name, "M_", 2) || !strncmp(name, "FP_", 3) ||
        !strncmp(name, "__", 2) || (name[0] == '_' && name[1] >= 'A' && name[1] <= 'Z'))
        return 1;
    for (int i = 0; c_reserved[i]; i++)
        if (!strcmp(name, c_reserved[i]))
            return 1;
    for (int i = 0; c_libm[i]; i++) {
        size_t k = strlen(c_libm[i]);
        if (!strncmp(name, c_libm[i], k) &&
            (name[k] == 0 || ((name[k] == 'f' || name[k] == 'l') && name[k + 1] == 0)))
            return 1;
    }
    return 0;
}

/* A C identifier for a variable: the name itself when it is safe, else
 * name_. Names that end in _ always get one more, so no two variables can
 * meet at one identifier (int -> int_, int_ -> int__). */
void emit_c_ident(char *out, size_t size, const char *name)
{
    size_t n = strlen(name);
    int clash = emit_c_clash(name) || (n && name[n - 1] == '_');
    snprintf(out, size, clash ? "%s_" : "%s", name);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        abort();
    return memcpy(d, s, n);
}

static Code code(char *text, int prec) { return (Code){text, prec}; }

static Code codef(int prec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    Buf b = {0};
    vemitf(&b, fmt, ap);
    va_end(ap);
    return code(b.s, prec);
}

/* text, in parentheses unless it binds at least as tightly as min. */
static char *at(Code c, int min)
{
    if (c.prec >= min)
        return c.text;
    char *s = malloc(strlen(c.text) + 3);
    if (!s)
        abort();
    sprintf(s, "(%s)", c.text);
    free(c.text);
    return s;
}

static void line(Emitter *em, const char *fmt, ...)
{
    for (int i = 0; i < em->indent; i++)
        emitf(em->out, "    ");
    va_list ap;
    va_start(ap, fmt);
    vemitf(em->out, fmt, ap);
    va_end(ap);
    buf_putc(em->out, '\n');
}

static size_t add_name(Emitter *em, const char *s)
{
    if (em->nnames == em->cap) {
        em->cap = em->cap ? em->cap * 2 : 64;
        em->names = sg_realloc(em->names, em->cap * sizeof *em->names);
        if (!em->names)
            abort();
    }
    em->names[em->nnames] = xstrdup(s);
    return em->nnames++;
}

/* Make the by-id arrays long enough for id. */
static void reach(Emitter *em, uint32_t id)
{
    if (id < em->nids)
        return;
    size_t n = em->nids ? em->nids : 1024;
    while (n <= id)
        n *= 2;
    em->uses = sg_realloc(em->uses, n * sizeof *em->uses);
    em->named = sg_realloc(em->named, n * sizeof *em->named);
    if (!em->uses || !em->named)
        abort();
    memset(em->uses + em->nids, 0, (n - em->nids) * sizeof *em->uses);
    memset(em->named + em->nids, 0, (n - em->nids) * sizeof *em->named);
    em->nids = n;
}

static const char *lookup(Emitter *em, const Expr *e)
{
    return e->id < em->nids && em->named[e->id] ? em->names[em->named[e->id] - 1] : NULL;
}

static void bind(Emitter *em, const Expr *e, const char *name)
{
    reach(em, e->id);
    em->named[e->id] = (uint32_t)add_name(em, name) + 1;
    Scope *s = em->scope;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->ids = sg_realloc(s->ids, s->cap * sizeof *s->ids);
        if (!s->ids)
            abort();
    }
    s->ids[s->n++] = e->id;
}

/* Close a block: its names go out of scope. */
static void unbind_scope(Emitter *em, Scope *s)
{
    for (size_t i = 0; i < s->n; i++)
        em->named[s->ids[i]] = 0;
    free(s->ids);
}

/* Count how often each node is used by the outputs, each node's arguments
 * counted once (an iterative walk: depth is the user's). */
static void count_uses(Emitter *em)
{
    size_t sp = 0, cap = 64;
    Expr **stack = malloc(cap * sizeof *stack);
    for (size_t i = 0; i < em->spec_noutputs; i++) {
        if (sp == cap)
            stack = sg_realloc(stack, (cap *= 2) * sizeof *stack);
        stack[sp++] = em->spec_outputs[i];
    }
    while (sp) {
        Expr *e = stack[--sp];
        reach(em, e->id);
        if (em->uses[e->id]++)
            continue;
        if (em->ncounted == em->counted_cap)
            em->counted = sg_realloc(em->counted, (em->counted_cap = em->counted_cap
                                                       ? em->counted_cap * 2 : 64) *
                                                      sizeof *em->counted);
        em->counted[em->ncounted++] = e->id;
        uint32_t nargs = e->op == OP_CALL ? 1 : e->n; /* a call: its value only */
        for (uint32_t i = 0; i < nargs; i++) {
            if (sp == cap)
                stack = sg_realloc(stack, (cap *= 2) * sizeof *stack);
            stack[sp++] = e->args[i];
        }
    }
    free(stack);
}

static size_t uses(Emitter *em, const Expr *e)
{
    return e->id < em->nids ? em->uses[e->id] : 0;
}

static Code value(Emitter *em, Expr *e);

/* The value of e as a temporary (or a name it already has). */
static char *temp(Emitter *em, Expr *e, Code c)
{
    char name[32];
    snprintf(name, sizeof name, "t%d", ++em->ntemps);
    line(em, "const %s %s = %s;", em->real, name, c.text);
    free(c.text);
    bind(em, e, name);
    return xstrdup(name);
}

static Code number(const Emitter *em, const Expr *e)
{
    char s[48];
    const char *f = em->suffix;
    double v = e->num;
    if (*f && !isnan(v)) { /* single precision: the float nearest v */
        if (fabs(v) > FLT_MAX)
            v = v < 0 ? -INFINITY : INFINITY;
        float fv = (float)v;
        for (int prec = 6; prec <= 9; prec++) {
            snprintf(s, sizeof s, "%.*g", prec, (double)fv);
            if (strtof(s, NULL) == fv)
                break;
        }
        v = strtod(s, NULL);
    }
    fmt_double(s, sizeof s, v);
    if (!strcmp(s, "nan"))
        return codef(C_MUL, "(0.0%s / 0.0%s)", f, f);
    if (!strcmp(s, "inf") || !strcmp(s, "-inf"))
        return codef(C_MUL, "(%s1.0%s / 0.0%s)", s[0] == '-' ? "-" : "", f, f);
    if (!strpbrk(s, ".en"))
        strcat(s, ".0");
    return codef(s[0] == '-' ? C_UNARY : C_ATOM, "%s%s", s, f);
}

/* An atom for e: its name, or a temporary holding it. */
static char *atom(Emitter *em, Expr *e)
{
    Code c = value(em, e);
    if (c.prec == C_ATOM && !strchr(c.text, '('))
        return c.text;
    const char *have = lookup(em, e);
    if (have) {
        free(c.text);
        return xstrdup(have);
    }
    return temp(em, e, c);
}

#define MAX_INT_POWER 16 /* larger integer powers call pow() */

/* b^m for 1 <= m <= MAX_INT_POWER by multiplications: b * b * b up to the
 * fourth power, by repeated squaring into temporaries above. */
static Code int_power(Emitter *em, Expr *b, int64_t m)
{
    char *a = atom(em, b);
    Buf t = {0};
    /* b^2 computed once when the body uses it anyway: b^5 = t * t * b */
    Expr *sq2 = em->ctx && m >= 3 ? expr_pow(em->ctx, b, expr_int(em->ctx, 2)) : NULL;
    if (sq2 && !lookup(em, sq2) && uses(em, sq2) > 0)
        free(temp(em, sq2, codef(C_MUL, "%s * %s", a, a)));
    if (sq2 && lookup(em, sq2) && m <= 8) {
        const char *s2 = lookup(em, sq2);
        for (int64_t i = 0; i < m / 2; i++)
            emitf(&t, i ? " * %s" : "%s", s2);
        if (m % 2)
            emitf(&t, " * %s", a);
        free(a);
        return code(t.s, C_MUL);
    }
    if (m <= 8) { /* inline: TinyCC keeps a product chain in registers */
        for (int64_t i = 0; i < m; i++)
            emitf(&t, i ? " * %s" : "%s", a);
        free(a);
        return code(t.s, m > 1 ? C_MUL : C_ATOM);
    }
    char *sq = a; /* a^(2^i) */
    for (int first = 1; m; m >>= 1) {
        if (m & 1) {
            emitf(&t, first ? "%s" : " * %s", sq);
            first = 0;
        }
        if (m > 1) {
            char name[32];
            snprintf(name, sizeof name, "t%d", ++em->ntemps);
            line(em, "const %s %s = %s * %s;", em->real, name, sq, sq);
            if (sq != a)
                free(sq);
            sq = xstrdup(name);
        }
    }
    if (sq != a)
        free(sq);
    free(a);
    return code(t.s, strchr(t.s, '*') ? C_MUL : C_ATOM);
}

/* A power with a negative number exponent, which a product writes as a
 * division: x^-3 -> / (x * x * x), x^-1/2 -> / sqrt(x). */
static int is_inverse(const Expr *e)
{
    return e->op == OP_POW && e->args[1]->op == OP_NUM && e->args[1]->num < 0;
}

/* The divisor for an inverse power: the base to the positive exponent. */
static Code divisor(Emitter *em, const Expr *e)
{
    Expr *b = e->args[0], *k = e->args[1];
    if (expr_is_int(k) && -expr_p(k) <= MAX_INT_POWER)
        return int_power(em, b, -expr_p(k));
    /* b^k where b^-k is already a temporary (sqrt(u) and 1/sqrt(u)): divide by it */
    Expr *pos = !em->ctx ? NULL
                : expr_pow(em->ctx, b, k->exact ? expr_rat(em->ctx, -expr_p(k), expr_q(k))
                                                : expr_num(em->ctx, -k->num));
    if (pos && lookup(em, pos))
        return code(xstrdup(lookup(em, pos)), C_ATOM);
    Code cb = value(em, b);
    Code r;
    if (k->num == -0.5) { /* exact -1/2 or the float -0.5 alike */
        r = codef(C_ATOM, "sqrt%s(%s)", em->suffix, cb.text);
    } else {
        char s[48], x[64];
        fmt_double(s, sizeof s, -k->num);
        if (!isfinite(k->num)) /* x^-inf: C has no literal for inf or nan */
            snprintf(x, sizeof x, "(%s.0%s / 0.0%s)", isnan(k->num) ? "0" : "1", em->suffix,
                     em->suffix);
        else
            snprintf(x, sizeof x, "%s%s%s", s, strpbrk(s, ".en") ? "" : ".0", em->suffix);
        r = codef(C_ATOM, "pow%s(%s, %s)", em->suffix, cb.text, x);
    }
    free(cb.text);
    return r;
}

static Code power(Emitter *em, Expr *e)
{
    Expr *b = e->args[0], *k = e->args[1];
    if (expr_is_int(k) && expr_p(k) > 0 && expr_p(k) <= MAX_INT_POWER)
        return int_power(em, b, expr_p(k));
    if (is_inverse(e)) {
        char *d = at(divisor(em, e), C_UNARY);
        Code r = codef(C_MUL, "1.0%s / %s", em->suffix, d);
        free(d);
        return r;
    }
    Code cb = value(em, b);
    if (k->op == OP_NUM && k->num == 0.5) { /* x^(1/2) and x^0.5: sqrt, exact */
        Code r = codef(C_ATOM, "sqrt%s(%s)", em->suffix, cb.text);
        free(cb.text);
        return r;
    }
    Code ck = value(em, k);
    Code r = codef(C_ATOM, "pow%s(%s, %s)", em->suffix, cb.text, ck.text);
    free(cb.text);
    free(ck.text);
    return r;
}

/* A long sum or product is written in runs of RUN operands, each run's
 * value a temporary that the next run starts from: the order of operations
 * is the same ((a + b) + c ...), and each operand's temporaries live only
 * until its run ends (a compiler's register allocation grows faster than
 * linearly in the values live at once). */
#define RUN 32

/* Sums and products, written with - and / where the signs allow. */
static Code nary(Emitter *em, Expr *e)
{
    Buf t = {0};
    int is_add = e->op == OP_ADD;
    int64_t denominator = 0; /* a rational coefficient's, written last */
    uint32_t lead = 0; /* a sum starts with its first positive term: 1 - x */
    while (is_add && lead < e->n && e->args[lead]->op == OP_MUL &&
           e->args[lead]->args[0]->op == OP_NUM && e->args[lead]->args[0]->num < 0)
        lead++;
    if (lead == e->n)
        lead = 0;
    /* a product puts its divisors last: x * y / z, not 1.0 / z * x * y */
    uint32_t *order = malloc(e->n * sizeof *order), m = 0;
    for (int pass = 0; !is_add && pass < 2; pass++)
        for (uint32_t j = 0; j < e->n; j++)
            if (is_inverse(e->args[j]) == pass)
                order[m++] = j;
    for (uint32_t k = 0; k < e->n; k++) {
        uint32_t i = !is_add ? order[k] : k == 0 ? lead : k <= lead ? k - 1 : k;
        Expr *a = e->args[i];
        int inv = !is_add && is_inverse(a) && (k > 0 || e->n == 1);
        Code c = inv ? divisor(em, a) : value(em, a);
        if (is_add) {
            int neg = c.text[0] == '-' && c.prec >= C_MUL;
            char *s = neg ? xstrdup(c.text + 1) : at(c, C_ADD);
            if (neg)
                free(c.text);
            emitf(&t, k ? (neg ? " - %s" : " + %s") : (neg ? "-%s" : "%s"), s);
            free(s);
        } else if (i == 0 && a->op == OP_NUM && a->exact && expr_q(a) != 1 && e->n > 1) {
            /* p/q * rest -> p * rest / q: exact where 1/q is not */
            free(c.text);
            if (expr_p(a) == -1)
                emitf(&t, "-");
            else if (expr_p(a) != 1)
                emitf(&t, "%lld.0%s * ", (long long)expr_p(a), em->suffix);
            Code d = value(em, e->args[order[++k]]);
            char *s = at(d, expr_p(a) == -1 ? C_UNARY : C_MUL);
            emitf(&t, "%s", s);
            free(s);
            denominator = expr_q(a);
        } else if (i == 0 && expr_is_int(a) && expr_p(a) == -1 && e->n > 1) {
            free(c.text);
            emitf(&t, "-");
            k++;
            Expr *next = e->args[order[k]];
            Code d = is_inverse(next) ? divisor(em, next) : value(em, next);
            char *s = at(d, C_UNARY);
            emitf(&t, is_inverse(next) ? "1.0%s / %s" : "%.0s%s", em->suffix, s);
            free(s);
        } else {
            char *s = at(c, inv ? C_UNARY : C_MUL);
            if (inv && k)
                emitf(&t, " / %s", s);
            else if (inv)
                emitf(&t, "1.0%s / %s", em->suffix, s);
            else
                emitf(&t, k ? " * %s" : "%s", s);
            free(s);
        }
        if ((k + 1) % RUN == 0 && k + 1 < e->n) { /* the run so far into a temporary */
            char name[32];
            snprintf(name, sizeof name, "t%d", ++em->ntemps);
            line(em, "const %s %s = %s;", em->real, name, t.s);
            t.len = 0;
            emitf(&t, "%s", name);
        }
    }
    free(order);
    if (denominator)
        emitf(&t, " / %lld.0%s", (long long)denominator, em->suffix);
    return code(t.s, is_add ? C_ADD : C_MUL);
}

static const char *c_cmp(Op op)
{
    switch (op) {
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    case OP_EQ: return "==";
    case OP_NE: return "!=";
    case OP_AND: return "&&";
    default: return "||";
    }
}

static int c_cmp_prec(Op op)
{
    return op == OP_AND ? C_AND : op == OP_OR ? C_OR : op == OP_EQ || op == OP_NE ? C_EQ : C_REL;
}

/* c ? a : b as an if/else, each branch in its own scope. */
static Code comparison(Emitter *em, Expr *e);

/* e where C wants a truth value (an if, an && or ||): a comparison used
 * only here is written as C's own, without the cast to the real type. */
static Code truth(Emitter *em, Expr *e)
{
    if (op_info[e->op].kind == KIND_CMP && !lookup(em, e) && uses(em, e) <= 1)
        return comparison(em, e);
    return value(em, e);
}

static Code branch_select(Emitter *em, Expr *e)
{
    Code c = truth(em, e->args[0]);
    char name[32];
    snprintf(name, sizeof name, "t%d", ++em->ntemps);
    line(em, "%s %s;", em->real, name);
    line(em, "if (%s) {", c.text);
    free(c.text);
    for (int branch = 1; branch <= 2; branch++) {
        Scope s = {.up = em->scope};
        em->scope = &s;
        em->indent++;
        Code v = value(em, e->args[branch]);
        line(em, "%s = %s;", name, v.text);
        free(v.text);
        em->indent--;
        em->scope = s.up;
        unbind_scope(em, &s);
        line(em, branch == 1 ? "} else {" : "}");
    }
    bind(em, e, name);
    return code(xstrdup(name), C_ATOM);
}

/* a < b as C's int-valued comparison. */
static Code comparison(Emitter *em, Expr *e)
{
    Op op = (Op)e->op;
    int p = c_cmp_prec(op), logic = op == OP_AND || op == OP_OR;
    Code ca = logic ? truth(em, e->args[0]) : value(em, e->args[0]);
    Code cb = logic ? truth(em, e->args[1]) : value(em, e->args[1]);
    /* && inside || in parentheses, as gcc -Wall asks */
    int pa = op == OP_OR && ca.prec == C_AND ? C_AND + 1 : p;
    int pb = op == OP_OR && cb.prec == C_AND ? C_AND + 1 : p + 1;
    char *a = at(ca, pa), *b = at(cb, pb);
    Code r = codef(p, "%s %s %s", a, c_cmp(op), b);
    free(a);
    free(b);
    return r;
}

static Code call(Emitter *em, Expr *e)
{
    Op op = (Op)e->op;
    if (op_info[op].kind == KIND_CMP) {
        Code c = comparison(em, e);
        Code r = codef(C_UNARY, "(%s)(%s)", em->real, c.text);
        free(c.text);
        return r;
    }
    int helper = !strncmp(op_info[op].c, "sg_", 3);
    if (helper)
        em->helpers |= 1ull << (op - OP_ABS);
    Buf t = {0};
    emitf(&t, "%s%s(", op_info[op].c, helper ? "" : em->suffix);
    for (uint32_t i = 0; i < e->n; i++) {
        Code a = value(em, e->args[i]);
        emitf(&t, i ? ", %s" : "%s", a.text);
        free(a.text);
    }
    emitf(&t, ")");
    return code(t.s, C_ATOM);
}

static Code compute(Emitter *em, Expr *e)
{
    switch (e->op) {
    case OP_NUM: return number(em, e);
    case OP_PI: return codef(C_ATOM, "3.141592653589793%s", em->suffix);
    case OP_E: return codef(C_ATOM, "2.718281828459045%s", em->suffix);
    case OP_ADD: case OP_MUL: return nary(em, e);
    case OP_POW: return power(em, e);
    case OP_SELECT: return branch_select(em, e);
    case OP_STOP: case OP_CALL: case OP_HOLD: return value(em, e->args[0]);
    default: return call(em, e);
    }
}

/* Long inline text becomes a temporary so lines stay readable. */
#define INLINE_MAX 100

static Code value(Emitter *em, Expr *e)
{
    const char *have = lookup(em, e);
    if (have)
        return code(xstrdup(have), C_ATOM);
    if (e->op == OP_VAR)
        return code(xstrdup("?"), C_ATOM); /* params are bound up front */
    Code c = compute(em, e);
    have = lookup(em, e); /* select binds itself */
    if (have || e->op == OP_NUM || e->op == OP_PI || e->op == OP_E)
        return c;
    if (uses(em, e) > 1 || strlen(c.text) > INLINE_MAX)
        return code(temp(em, e, c), C_ATOM);
    return c;
}

/* The helper functions used, in the real type: R stands for the type and F
 * for the libm suffix in the texts below. */
static void helpers(Buf *b, unsigned long long used, const char *real, const char *suffix)
{
    static const struct { Op op; const char *text; } defs[] = {
        {OP_MAX, "static R sg_max(R a, R b) { return a >= b || a != a ? a : b; }\n"},
        {OP_MIN, "static R sg_min(R a, R b) { return a <= b || a != a ? a : b; }\n"},
        {OP_CLAMP, "static R sg_clamp(R x, R lo, R hi)\n"
                   "{\n    return x < lo ? lo : x > hi ? hi : x;\n}\n"},
        {OP_RELU, "static R sg_relu(R x) { return x <= 0 ? 0 : x; }\n"},
        {OP_SIGN, "static R sg_sign(R x) { return x > 0 ? 1 : x < 0 ? -1 : x; }\n"},
        {OP_SIGMOID, "static R sg_sigmoid(R x)\n{\n"
                     "    if (x >= 0)\n        return 1 / (1 + expF(-x));\n"
                     "    R t = expF(x);\n    return t / (1 + t);\n}\n"},
        {OP_SOFTPLUS, "static R sg_softplus(R x)\n{\n"
                      "    return x > 0 ? x + log1pF(expF(-x)) : log1pF(expF(x));\n}\n"},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        if (!(used & (1ull << (defs[i].op - OP_ABS))))
            continue;
        for (const char *p = defs[i].text; *p; p++) {
            if (*p == 'R' && (p[1] == ' ' || p[1] == ')'))
                emitf(b, "%s", real);
            else if (*p == 'F' && p[1] == '(')
                emitf(b, "%s", suffix);
            else
                buf_putc(b, *p);
        }
        buf_putc(b, '\n');
    }
}

/* Statements computing outs[] from params at the given indent: bound from
 * in[] when from_in, else taken as named arguments. Each result is stored
 * with store ("grad[%zu] = %s;") or returned when store is NULL. */
static void body(Emitter *em, Expr **params, size_t nparams, int from_in, Expr **outs,
                 size_t nouts, const char *store)
{
    Scope top = {0};
    em->scope = &top;
    em->ntemps = 0; /* each function numbers its temporaries from t1 */
    em->spec_outputs = outs;
    em->spec_noutputs = nouts;
    count_uses(em);
    int any_used = 0;
    for (size_t i = 0; i < nparams; i++) {
        /* what the code reads: a user function's value, not its actuals */
        int is_used = uses(em, params[i]) > 0;
        any_used |= is_used;
        if (from_in && !is_used) /* a partial of a wide function reads few of many */
            continue;
        char id[256];
        emit_c_ident(id, sizeof id, params[i]->name);
        if (from_in)
            line(em, "const %s %s = in[%zu];", em->real, id, i);
        else if (!is_used)
            line(em, "(void)%s;", id);
        if (is_used) /* only what is read gets a name */
            bind(em, params[i], id);
    }
    if (from_in && nparams && !any_used)
        line(em, "(void)in;");
    int any_tangent = 0;
    for (size_t i = 0; i < em->ntangents; i++) {
        char v[32];
        snprintf(v, sizeof v, "v[%zu]", i);
        bind(em, em->tangents[i], v);
        any_tangent |= uses(em, em->tangents[i]) > 0;
    }
    if (em->ntangents && !any_tangent) /* the Hessian is 0 */
        line(em, "(void)v;");
    for (size_t i = 0; i < nouts; i++) {
        Code c = value(em, outs[i]);
        if (store) {
            for (int k = 0; k < em->indent; k++)
                emitf(em->out, "    ");
            emitf(em->out, store, i);
            emitf(em->out, " = %s;\n", c.text);
        } else {
            line(em, "return %s;", c.text);
        }
        free(c.text);
    }
    unbind_scope(em, &top);
    for (size_t i = 0; i < em->ncounted; i++) /* the next body counts afresh */
        em->uses[em->counted[i]] = 0;
    em->ncounted = 0;
    em->scope = NULL;
}

static void emitter_free(Emitter *em)
{
    free(em->uses);
    free(em->counted);
    free(em->named);
    for (size_t i = 0; i < em->nnames; i++)
        free(em->names[i]);
    free(em->names);
}

void emit_c_eval(Buf *b, const EmitSpec *spec)
{
    Buf text = {0};
    Emitter em = {.out = &text, .indent = 1, .real = "double", .suffix = "", .ctx = spec->ctx};
    body(&em, spec->params, spec->nparams, 1, spec->outputs, spec->noutputs, "out[%zu]");
    /* no #include <math.h>: jit_compile declares libm itself */
    helpers(b, em.helpers, "double", "");
    emitf(b, "void %s_eval(const double *in, double *out)\n{\n", spec->name);
    if (!spec->nparams)
        emitf(b, "    (void)in;\n");
    emitf(b, "%s}\n", text.s ? text.s : "");
    buf_free(&text);
    emitter_free(&em);
}

/* ---- whole files ------------------------------------------------------------ */

extern const char sg_tmpl_header_h[], sg_tmpl_source_c[];

typedef struct {
    const char *key;
    const char *text;
} Slot;

/* tmpl with each {{key}} replaced by its slot's text. */
static int fill(Buf *out, const char *tmpl, const Slot *slots, size_t n, const char *which,
                SgError *err)
{
    for (const char *p = tmpl; *p;) {
        const char *open = strstr(p, "{{");
        if (!open) {
            emitf(out, "%s", p);
            break;
        }
        emitf(out, "%.*s", (int)(open - p), p);
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            sg_error_set(err, 0, 0, "template %s: '{{' without '}}'", which);
            return 0;
        }
        if (!strncmp(open + 2, "set ", 4)) { /* read by read_scheme; writes nothing */
            p = close + 2 + (close[2] == '\n');
            continue;
        }
        size_t len = (size_t)(close - open - 2), i = 0;
        while (i < n && (strlen(slots[i].key) != len || memcmp(slots[i].key, open + 2, len)))
            i++;
        if (i == n) {
            sg_error_set(err, 0, 0, "template %s: unknown placeholder {{%.*s}}", which,
                         (int)len, open + 2);
            return 0;
        }
        emitf(out, "%s", slots[i].text);
        p = close + 2;
    }
    return 1;
}

/* Longer infix is not written into the header's comment: a derivative
 * whose shared parts repeat could print as gigabytes. */
#define COMMENT_MAX ((size_t)1 << 20)

/* Infix text fit for a C comment. */
static char *comment_text(SgCtx *ctx, Expr *e)
{
    if (expr_text_bound(ctx, &e, 1, COMMENT_MAX) > COMMENT_MAX) {
        Buf b = {0};
        emitf(&b, "(not shown: its infix form could pass %zu MiB)", COMMENT_MAX >> 20);
        return b.s;
    }
    char *s = expr_to_string(e);
    for (char *p = s; (p = strstr(p, "*/"));)
        p[1] = ' ';
    return s;
}

/* "double x, double y" */
static void param_list(Buf *b, const Query *q, const char *real)
{
    for (size_t i = 0; i < q->nvars; i++) {
        char id[256];
        emit_c_ident(id, sizeof id, q->vars[i]->name);
        emitf(b, "%s%s %s", i ? ", " : "", real, id);
    }
    if (!q->nvars)
        emitf(b, "void");
}

/* What a template may set with {{set KEY VALUE}}: the linkage of every
 * function and the naming scheme. */
typedef struct {
    char linkage[64]; /* e.g. "static inline"; empty by default */
    char partial[32]; /* NAME<partial>x: "_d" */
    char grad[32], batch[32], hess[32]; /* suffixes: "_grad", "_batch", "_hess" */
} Scheme;

/* Read the {{set ...}} directives of a template into sc. */
static int read_scheme(const char *tmpl, Scheme *sc, const char *which, SgError *err)
{
    static const char *keys[] = {"linkage", "partial", "grad", "batch", "hess"};
    for (const char *p = tmpl; (p = strstr(p, "{{set ")); p += 6) {
        const char *key = p + 6, *sp = strchr(key, ' '), *end = strstr(key, "}}");
        if (!end || !sp || sp > end) {
            sg_error_set(err, 0, 0, "template %s: {{set KEY VALUE}} expected", which);
            return 0;
        }
        char *fields[] = {sc->linkage, sc->partial, sc->grad, sc->batch, sc->hess};
        size_t sizes[] = {sizeof sc->linkage, sizeof sc->partial, sizeof sc->grad,
                          sizeof sc->batch, sizeof sc->hess};
        size_t k = 0, klen = (size_t)(sp - key), vlen = (size_t)(end - sp - 1);
        while (k < 5 && (strlen(keys[k]) != klen || memcmp(keys[k], key, klen)))
            k++;
        if (k == 5 || vlen >= sizes[k]) {
            sg_error_set(err, 0, 0, "template %s: cannot set '%.*s' (linkage, partial, grad, "
                                    "batch, hess; values under 32 characters)",
                         which, (int)klen, key);
            return 0;
        }
        snprintf(fields[k], sizes[k], "%.*s", (int)vlen, sp + 1);
    }
    return 1;
}

/* NAME_dx, or NAME_d2x for a second derivative. */
static void partial_name(Buf *b, const Scheme *sc, const char *name, int order,
                         const char *var)
{
    if (order == 1)
        emitf(b, "%s%s%s", name, sc->partial, var);
    else
        emitf(b, "%s%s%d%s", name, sc->partial, order, var);
}

typedef struct {
    Emitter em;
    Buf proto, defs;
    const Query *q;
    const CFile *cf;
    Scheme sc;
} FileWriter;

/* A function's prototype in the header, and the opening of its definition. */
static void open_function(FileWriter *w, const char *ret, const char *sig)
{
    const char *l = w->sc.linkage, *sp = *l ? " " : "";
    emitf(&w->proto, "%s%s%s %s;\n", l, sp, ret, sig);
    emitf(&w->defs, "%s%s%s %s\n{\n", l, sp, ret, sig);
}

/* The body text of a function with signature sig ("NAME(params)") at the
 * given indent, cut into segment functions written before it when it is
 * long (emit_split); the text to put in the function is left in text. */
static int split_body(FileWriter *w, const char *sig, Buf *text, int indent, int from_in,
                      int returns)
{
    Buf name = {0}, params = {0}, args = {0}, voids = {0}, segs = {0}, calls = {0};
    const char *open = strchr(sig, '('), *close = strrchr(sig, ')');
    emitf(&name, "%.*s", (int)(open - sig), sig);
    emitf(&params, "%.*s", (int)(close - open - 1), open + 1);
    if (!strcmp(params.s, "void"))
        params.s[params.len = 0] = 0;
    for (const char *p = params.s; *p;) { /* each parameter's last word */
        size_t n = strcspn(p, ","), k = n;
        while (k && (p[k - 1] == '_' || (p[k - 1] >= '0' && p[k - 1] <= '9') ||
                     ((p[k - 1] | 32) >= 'a' && (p[k - 1] | 32) <= 'z')))
            k--;
        emitf(&args, "%s%.*s", args.len ? ", " : "", (int)(n - k), p + k);
        emitf(&voids, "(void)%.*s; ", (int)(n - k), p + k);
        p += n + (p[n] == ',') + (p[n] == ',' && p[n + 1] == ' ');
    }
    SplitSig sp = {name.s, params.s, args.s ? args.s : "", voids.s ? voids.s : "", w->em.real,
                   from_in, returns};
    int split = text->s && emit_split(text->s, indent, &sp, &segs, &calls);
    if (split) {
        emitf(&w->defs, "%s", segs.s);
        buf_free(text);
        *text = calls;
        calls = (Buf){0};
    }
    buf_free(&name), buf_free(&params), buf_free(&args), buf_free(&voids);
    buf_free(&segs), buf_free(&calls);
    return split;
}

/* One function: its prototype in the header, its body in the source; 1
 * when the body was cut into segments. */
static int function(FileWriter *w, const char *ret, const char *sig, int from_in, Expr **outs,
                    size_t nouts, const char *store)
{
    Buf text = {0};
    if (from_in && !w->q->nvars)
        emitf(&text, "    (void)in;\n");
    if (store && !nouts) /* nothing to store: grad of a function with no --wrt */
        emitf(&text, "    (void)%.*s;\n", (int)strcspn(store, "["), store);
    w->em.out = &text;
    w->em.indent = 1;
    body(&w->em, w->q->vars, w->q->nvars, from_in, outs, nouts, store);
    int split = split_body(w, sig, &text, 1, from_in, store == NULL);
    open_function(w, ret, sig);
    emitf(&w->defs, "%s}\n\n", text.s ? text.s : "");
    buf_free(&text);
    return split;
}

/* C99 promises 127 parameters (5.2.4.1). With more variables, the function
 * and its partials take the array in[] instead: a function in n parameters
 * for each of n partials would also make the files quadratic in n. */
#define MAX_PARAMS 127

static int wide(const Query *q) { return q->nvars > MAX_PARAMS; }

static void scalar_functions(FileWriter *w, Expr **first, int order)
{
    const Query *q = w->q;
    const char *real = w->cf->single ? "float" : "double";
    Buf sig = {0};
    unsigned fns = query_functions(q);
    for (size_t i = 0; i <= q->nwrt; i++) { /* the function, then each partial */
        if (!(fns & (i ? FN_PARTIALS : FN_VALUE)))
            continue;
        sig.len = 0;
        if (i)
            partial_name(&sig, &w->sc, w->cf->name, order, q->wrt[i - 1]->name);
        else
            emitf(&sig, "%s", w->cf->name);
        if (wide(q)) {
            emitf(&sig, "(const %s *in)", real);
        } else {
            emitf(&sig, "(");
            param_list(&sig, q, real);
            emitf(&sig, ")");
        }
        function(w, real, sig.s, wide(q), i ? &first[i - 1] : (Expr **)&q->f, 1, NULL);
    }
    buf_free(&sig);
}

static void array_functions(FileWriter *w, Expr **first, int order)
{
    const Query *q = w->q;
    const char *real = w->cf->single ? "float" : "double", *name = w->cf->name;
    unsigned fns = query_functions(q);
    Buf sig = {0};
    emitf(&sig, "%s%s(const %s *in, %s *grad)", name, w->sc.grad, real, real);
    int long_grad = 0;
    if (!(fns & FN_GRAD)) {
        /* not asked for */
    } else if (q->nwrt == 1 && (fns & FN_PARTIALS)) { /* its partial is the gradient: called */
        open_function(w, "void", sig.s);
        emitf(&w->defs, q->nvars ? "    grad[0] = " : "    (void)in;\n    grad[0] = ");
        partial_name(&w->defs, &w->sc, name, order, q->wrt[0]->name);
        emitf(&w->defs, wide(q) ? "(in" : "(");
        for (size_t i = 0; i < q->nvars && !wide(q); i++)
            emitf(&w->defs, "%sin[%zu]", i ? ", " : "", i);
        emitf(&w->defs, ");\n}\n\n");
    } else {
        long_grad = function(w, "void", sig.s, 1, first, q->nwrt, "grad[%zu]");
    }
    if ((fns & FN_HESS) && q->hessian) {
        sig.len = 0;
        emitf(&sig, "%s%s(const %s *in, %s *hess)", name, w->sc.hess, real, real);
        function(w, "void", sig.s, 1, q->derivs, q->nderivs, "hess[%zu]");
    }
    if ((fns & FN_HVP) && q->hvp) {
        sig.len = 0;
        emitf(&sig, "%s_hvp(const %s *in, const %s *v, %s *out)", name, real, real, real);
        w->em.tangents = q->tangents;
        w->em.ntangents = q->nwrt;
        function(w, "void", sig.s, 1, q->hvp, q->nwrt, "out[%zu]");
        w->em.ntangents = 0;
    }
    if (!(fns & FN_BATCH)) {
        buf_free(&sig);
        return;
    }
    if ((fns & FN_VALUE) && (long_grad || q->reverse) && q->nwrt > 1) {
        /* a gradient from a reverse sweep, or a long one: each row calls
         * the function and NAME_grad rather than repeating the gradient */
        sig.len = 0;
        emitf(&sig, "%s%s(size_t n, const %s *in, %s *out)", name, w->sc.batch, real, real);
        open_function(w, "void", sig.s);
        emitf(&w->defs, "    for (size_t i = 0; i < n; i++, in += %zu, out += %zu) {\n", q->nvars,
              q->nwrt + 1);
        emitf(&w->defs, "        out[0] = %s(", name);
        for (size_t i = 0; i < (wide(q) ? 1 : q->nvars); i++)
            emitf(&w->defs, wide(q) ? "in" : "%sin[%zu]", i ? ", " : "", i);
        emitf(&w->defs, ");\n        %s%s(in, out + 1);\n    }\n}\n", name, w->sc.grad);
        buf_free(&sig);
        return;
    }
    /* the batch: each row the value, then the partials */
    Expr **row = malloc((q->nwrt + 1) * sizeof *row);
    row[0] = q->f;
    memcpy(row + 1, first, q->nwrt * sizeof *row);
    sig.len = 0;
    Buf text = {0}, row_sig = {0};
    w->em.out = &text;
    w->em.indent = 2;
    body(&w->em, q->vars, q->nvars, 1, row, q->nwrt + 1, "out[%zu]");
    emitf(&row_sig, "%s%s(const %s *in, %s *out)", name, w->sc.batch, real, real); /* one row */
    split_body(w, row_sig.s, &text, 2, 1, 0);
    emitf(&sig, "%s%s(size_t n, const %s *in, %s *out)", name, w->sc.batch, real, real);
    open_function(w, "void", sig.s);
    emitf(&w->defs, "    for (size_t i = 0; i < n; i++, in += %zu, out += %zu) {\n", q->nvars,
          q->nwrt + 1);
    emitf(&w->defs, "%s    }\n}\n", text.s ? text.s : "");
    buf_free(&text);
    buf_free(&row_sig);
    free(row);
    buf_free(&sig);
}

/* The header's comment: the function, its parameters and each derivative. */
static void doc(SgCtx *ctx, Buf *b, const Query *q, const CFile *cf, const Scheme *sc,
                Expr **first, int order)
{
    char *f = comment_text(ctx, q->f);
    emitf(b, " * %s(", cf->name);
    for (size_t i = 0; i < q->nvars; i++)
        emitf(b, "%s%s", i ? ", " : "", q->vars[i]->name);
    emitf(b, ") = %s\n *\n", f);
    free(f);
    emitf(b, " * Parameters in this order: ");
    for (size_t i = 0; i < q->nvars; i++)
        emitf(b, "%s%s", i ? ", " : "", q->vars[i]->name);
    emitf(b, q->nvars ? ".\n" : "none.\n");
    unsigned fns = query_functions(q);
    emitf(b, " * This file holds (--functions");
    for (int i = 0; fn_names[i]; i++)
        if (fns & (1u << i) && (i != 4 || q->hessian) && (i != 5 || q->hvp))
            emitf(b, "%s%s", (fns & ((1u << i) - 1)) ? "," : " ", fn_names[i]);
    emitf(b, "): %s%s%s%s%s%s%s.\n", fns & FN_VALUE ? "the function" : "",
          fns & FN_PARTIALS ? ", one function per partial" : "", fns & FN_GRAD ? ", the gradient" : "",
          fns & FN_BATCH ? ", the batch" : "", fns & FN_HESS && q->hessian ? ", the Hessian" : "",
          fns & FN_HVP && q->hvp ? ", the Hessian times a vector" : "",
          fns ? "" : "nothing");
    if (wide(q))
        emitf(b, " * More than %d parameters: %s and each partial take const %s *in, in this order.\n",
              MAX_PARAMS, cf->name, cf->single ? "float" : "double");
    emitf(b, " * %s%s(in, grad), %s%s(n, in, out): in[] in parameter order;\n"
             " * grad[] and each batch row after its value in this order:\n",
          cf->name, sc->grad, cf->name, sc->batch);
    for (size_t i = 0; i < q->nwrt && !(fns & FN_PARTIALS); i++) /* names only: linear */
        emitf(b, "%s%s%s%s", i % 8 ? ", " : i ? ",\n *   " : " *   ", order > 1 ? "d^n/d" : "d/d",
              q->wrt[i]->name, i + 1 == q->nwrt ? "\n" : "");
    for (size_t i = 0; i < q->nwrt && (fns & FN_PARTIALS); i++) {
        char *d = comment_text(ctx, first[i]);
        Buf nm = {0};
        partial_name(&nm, sc, cf->name, order, q->wrt[i]->name);
        emitf(b, " *   %s = %s\n", nm.s, d);
        buf_free(&nm);
        free(d);
    }
    if (q->hessian && (fns & FN_HESS))
        emitf(b, " * %s%s(in, hess): the %zu x %zu second partials, row-major.\n", cf->name,
              sc->hess, q->nwrt, q->nwrt);
    if (q->hvp && (fns & FN_HVP))
        emitf(b, " * %s_hvp(in, v, out): out[] = the Hessian times v[], both in grad's order.\n",
              cf->name);
}

int emit_c_file(SgCtx *ctx, const Query *q, const CFile *cf, Buf *c, Buf *h, SgError *err)
{
    Query only_f;
    if (q->order == 0 && !q->hessian) { /* --order 0: the function, no partials */
        only_f = *q;
        only_f.nwrt = 0;
        q = &only_f;
    }
    FileWriter w = {.q = q, .cf = cf,
                    .sc = {.partial = "_d", .grad = "_grad", .batch = "_batch", .hess = "_hess"}};
    w.em.ctx = ctx;
    const char *th = cf->tmpl_h ? cf->tmpl_h : sg_tmpl_header_h;
    const char *tc = cf->tmpl_c ? cf->tmpl_c : sg_tmpl_source_c;
    if (!read_scheme(th, &w.sc, "header", err) || !read_scheme(tc, &w.sc, "source", err))
        return 0;
    w.em.real = cf->single ? "float" : "double";
    w.em.suffix = cf->single ? "f" : "";
    /* with a Hessian the scalar partials are the first derivatives */
    int order = q->hessian ? 1 : q->order;
    Expr **first = malloc((q->nwrt + 1) * sizeof *first);
    for (size_t i = 0; i < q->nwrt; i++)
        first[i] = q->hessian ? deriv(ctx, q->f, q->wrt[i]) : q->derivs[i];
    scalar_functions(&w, first, order);
    array_functions(&w, first, order);
    Buf helper_text = {0}, docs = {0}, guard = {0};
    helpers(&helper_text, w.em.helpers, w.em.real, w.em.suffix);
    if (h)
        doc(ctx, &docs, q, cf, &w.sc, first, order);
    for (const char *p = cf->h_name; *p; p++)
        buf_putc(&guard, (*p >= 'a' && *p <= 'z') ? (char)(*p - 32)
                         : ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '_');
    emitf(&guard, "");
    if (guard.s[0] >= '0' && guard.s[0] <= '9')
        guard.s[0] = '_';
    Slot slots[] = {
        {"header", cf->h_name}, {"source", cf->c_name}, {"version", SYMGRAD_VERSION},
        {"name", cf->name}, {"guard", guard.s}, {"doc", docs.s ? docs.s : ""},
        {"prototypes", w.proto.s}, {"helpers", helper_text.s ? helper_text.s : ""},
        {"functions", w.defs.s}, {"real", w.em.real},
    };
    size_t n = sizeof slots / sizeof slots[0];
    while (w.defs.len > 1 && w.defs.s[w.defs.len - 1] == '\n' && w.defs.s[w.defs.len - 2] == '\n')
        w.defs.s[--w.defs.len] = 0; /* the file ends with one new line */
    int ok = (!h || fill(h, th, slots, n, "header", err)) && fill(c, tc, slots, n, "source", err);
    free(first);
    buf_free(&helper_text), buf_free(&docs), buf_free(&guard);
    buf_free(&w.proto), buf_free(&w.defs);
    emitter_free(&w.em);
    return ok;
}
