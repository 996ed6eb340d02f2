/* emit_c.c - the one route from the graph to C. Schedules the nodes of all
 * outputs together so each shared subexpression is computed once into a
 * temporary (numbered in a stable order), writes small integer powers as
 * multiplications, and puts each branch of ?: in its own block so the branch
 * not taken is never evaluated. Helpers (stable sigmoid, ...) are written
 * only when used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symgrad.h"

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
    const EmitSpec *spec;
    uint32_t *uses;     /* by node id: how many parents (or outputs) use it */
    uint32_t *named;    /* by node id: index + 1 into names, 0 = not named */
    size_t nids;        /* length of uses and named */
    Scope *scope;
    int indent;
    int ntemps;
    char **names;       /* names[i]: C text for a param or temporary */
    size_t nnames, cap;
    unsigned long long helpers; /* bit per helper op used */
} Emitter;

static const char *c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "in", "out",
    "grad", "hess", "n", "i", "j0", "j1", "jn", "y0", "y1", "yn", "gamma", "signgam",
    "fabs", "pow", "exp", "log", "sqrt", "cbrt", "erf", "erfc", "hypot", "atan2",
    "fmin", "fmax", "nan", "floor", "ceil", "round", "trunc", "NAN", "INFINITY", NULL,
};

/* A C identifier for a variable: the name itself unless it could collide
 * with C, libm or the emitter's own names (then name_). */
void emit_c_ident(char *out, size_t size, const char *name)
{
    int clash = name[0] == 't' && name[1] && strspn(name + 1, "0123456789") == strlen(name + 1);
    clash |= !strncmp(name, "sg_", 3) || name[0] == '_';
    for (int i = 0; c_keywords[i] && !clash; i++)
        clash = !strcmp(name, c_keywords[i]);
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
    for (size_t i = 0; i < em->spec->noutputs; i++)
        stack[sp++] = em->spec->outputs[i];
    while (sp) {
        Expr *e = stack[--sp];
        reach(em, e->id);
        if (em->uses[e->id]++)
            continue;
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
    line(em, "const double %s = %s;", name, c.text);
    free(c.text);
    bind(em, e, name);
    return xstrdup(name);
}

static Code number(const Expr *e)
{
    char s[48];
    fmt_double(s, sizeof s, e->num);
    if (!strcmp(s, "nan"))
        return codef(C_MUL, "(0.0 / 0.0)");
    if (!strcmp(s, "inf") || !strcmp(s, "-inf"))
        return codef(C_MUL, "(%s1.0 / 0.0)", s[0] == '-' ? "-" : "");
    if (!strpbrk(s, ".en"))
        strcat(s, ".0");
    return codef(s[0] == '-' ? C_UNARY : C_ATOM, "%s", s);
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

static Code power(Emitter *em, Expr *e)
{
    Expr *b = e->args[0], *k = e->args[1];
    if (expr_is_int(k) && k->p != 0 && k->p >= -4 && k->p <= 4) {
        char *a = atom(em, b);
        Buf t = {0};
        int64_t m = k->p < 0 ? -k->p : k->p;
        for (int64_t i = 0; i < m; i++)
            emitf(&t, i ? " * %s" : "%s", a);
        free(a);
        if (k->p > 0)
            return code(t.s, m > 1 ? C_MUL : C_ATOM);
        Code r = codef(C_MUL, "1.0 / %s", m > 1 ? "(" : "");
        emitf(&t, m > 1 ? ")" : "");
        Code d = codef(C_MUL, "%s%s", r.text, t.s);
        free(r.text);
        free(t.s);
        return d;
    }
    Code cb = value(em, b);
    if (k->op == OP_NUM && k->exact && k->q == 2 && (k->p == 1 || k->p == -1)) {
        Code r = k->p == 1 ? codef(C_ATOM, "sqrt(%s)", cb.text)
                           : codef(C_MUL, "1.0 / sqrt(%s)", cb.text);
        free(cb.text);
        return r;
    }
    Code ck = value(em, k);
    Code r = codef(C_ATOM, "pow(%s, %s)", cb.text, ck.text);
    free(cb.text);
    free(ck.text);
    return r;
}

/* Sums and products, written with - and / where the signs allow. */
static Code nary(Emitter *em, Expr *e)
{
    Buf t = {0};
    int is_add = e->op == OP_ADD;
    for (uint32_t i = 0; i < e->n; i++) {
        Expr *a = e->args[i];
        int inv = 0;
        if (!is_add && a->op == OP_POW && expr_is_int(a->args[1]) && a->args[1]->p == -1) {
            inv = 1;
            a = a->args[0];
        }
        Code c = value(em, a);
        if (is_add) {
            int neg = c.text[0] == '-' && c.prec >= C_MUL;
            char *s = neg ? xstrdup(c.text + 1) : at(c, C_ADD);
            if (neg)
                free(c.text);
            emitf(&t, i ? (neg ? " - %s" : " + %s") : (neg ? "-%s" : "%s"), s);
            free(s);
        } else if (i == 0 && expr_is_int(a) && a->p == -1 && e->n > 1) {
            free(c.text);
            emitf(&t, "-");
            i++;
            Code d = value(em, e->args[1]);
            char *s = at(d, C_UNARY);
            emitf(&t, "%s", s);
            free(s);
        } else {
            char *s = at(c, inv ? C_UNARY : C_MUL);
            if (inv)
                emitf(&t, i ? " / %s" : "1.0 / %s", s);
            else
                emitf(&t, i ? " * %s" : "%s", s);
            free(s);
        }
    }
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
static Code branch_select(Emitter *em, Expr *e)
{
    Code c = value(em, e->args[0]);
    char name[32];
    snprintf(name, sizeof name, "t%d", ++em->ntemps);
    line(em, "double %s;", name);
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

static Code call(Emitter *em, Expr *e)
{
    Op op = (Op)e->op;
    if (op_info[op].kind == KIND_CMP) {
        int p = c_cmp_prec(op);
        char *a = at(value(em, e->args[0]), p), *b = at(value(em, e->args[1]), p + 1);
        Code r = codef(C_UNARY, "(double)(%s %s %s)", a, c_cmp(op), b);
        free(a);
        free(b);
        return r;
    }
    if (!strncmp(op_info[op].c, "sg_", 3))
        em->helpers |= 1ull << (op - OP_ABS);
    Buf t = {0};
    emitf(&t, "%s(", op_info[op].c);
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
    case OP_NUM: return number(e);
    case OP_PI: return codef(C_ATOM, "3.141592653589793");
    case OP_E: return codef(C_ATOM, "2.718281828459045");
    case OP_ADD: case OP_MUL: return nary(em, e);
    case OP_POW: return power(em, e);
    case OP_SELECT: return branch_select(em, e);
    case OP_STOP: case OP_CALL: return value(em, e->args[0]);
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

static void helpers(Buf *b, unsigned long long used)
{
    static const struct { Op op; const char *text; } defs[] = {
        {OP_MAX, "static double sg_max(double a, double b) { return a >= b ? a : b; }\n"},
        {OP_MIN, "static double sg_min(double a, double b) { return a <= b ? a : b; }\n"},
        {OP_CLAMP, "static double sg_clamp(double x, double lo, double hi)\n"
                   "{\n    return x < lo ? lo : x > hi ? hi : x;\n}\n"},
        {OP_RELU, "static double sg_relu(double x) { return x > 0 ? x : 0.0; }\n"},
        {OP_SIGN, "static double sg_sign(double x) { return (double)((x > 0) - (x < 0)); }\n"},
        {OP_SIGMOID, "static double sg_sigmoid(double x)\n{\n"
                     "    if (x >= 0)\n        return 1.0 / (1.0 + exp(-x));\n"
                     "    double t = exp(x);\n    return t / (1.0 + t);\n}\n"},
        {OP_SOFTPLUS, "static double sg_softplus(double x)\n{\n"
                      "    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));\n}\n"},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (used & (1ull << (defs[i].op - OP_ABS)))
            emitf(b, "%s\n", defs[i].text);
}

void emit_c_eval(Buf *b, const EmitSpec *spec)
{
    Buf body = {0};
    Scope top = {0};
    Emitter em = {.out = &body, .spec = spec, .scope = &top, .indent = 1};
    count_uses(&em);
    for (size_t i = 0; i < spec->nparams; i++) {
        char id[256];
        emit_c_ident(id, sizeof id, spec->params[i]->name);
        line(&em, "const double %s = in[%zu];", id, i);
        bind(&em, spec->params[i], id);
    }
    for (size_t i = 0; i < spec->noutputs; i++) {
        Code c = value(&em, spec->outputs[i]);
        line(&em, "out[%zu] = %s;", i, c.text);
        free(c.text);
    }
    emitf(b, "#include <math.h>\n\n");
    helpers(b, em.helpers);
    emitf(b, "void %s_eval(const double *in, double *out)\n{\n", spec->name);
    if (!spec->nparams)
        emitf(b, "    (void)in;\n");
    emitf(b, "%s}\n", body.s ? body.s : "");
    buf_free(&body);
    free(top.ids);
    free(em.uses);
    free(em.named);
    for (size_t i = 0; i < em.nnames; i++)
        free(em.names[i]);
    free(em.names);
}
