/* parse.c - tokens to the expression graph, by recursive descent with one
 * function per precedence level. Bindings (name = expr) and inline user
 * functions are resolved here, so the graph never holds a name that is not a
 * free variable. Positions stay in tokens; errors carry line and column. */
#define _GNU_SOURCE /* pthread_getattr_np */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

typedef struct {
    SgCtx *ctx;
    Lexer lx;
    Token tok;        /* the current token */
    SgError *err;
    int failed;
    int depth;        /* nesting of the expression being parsed */
    int max_depth;    /* the context's limit on it (0: none) */
    Map bindings;     /* name's VAR node -> bound value */
    Map funcs;        /* name's VAR node -> (UserFn *) */
    const UserFn *in_def; /* the def whose body is being parsed */
    const char *stack_floor; /* deeper than this address, stop: the stack ends */
    /* The accumulator: the binding most recently given a sum keeps it as a
     * list of terms, bound to the placeholder acc_p, so that `a = a + t`
     * line after line appends t instead of building a new sum each time
     * (which made n lines cost n^2 in time and memory). */
    Expr *acc_name;   /* the name bound to acc_p; NULL: none */
    Expr *acc_p;      /* a variable no input can name */
    Expr **acc;       /* the terms */
    size_t nacc, acc_cap;
    Expr *acc_value;  /* their sum once built; NULL: not yet */
} Parser;

/* Below which address the parser must stop so that a quarter of the
 * calling thread's free stack is all it uses (the later stages recurse on
 * the same depth). NULL when the stack cannot be measured. */
static const char *stack_floor(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    char here;
    if (pthread_getattr_np(pthread_self(), &attr))
        return NULL;
    int bad = pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    if (bad || &here < (char *)addr || &here > (char *)addr + size)
        return NULL;
    uintptr_t top = (uintptr_t)&here, bottom = (uintptr_t)addr;
    return (const char *)(top - (top - bottom) / 4);
}

static int fail(Parser *ps, const Token *at, const char *fmt, ...)
{
    if (ps->failed)
        return 0;
    ps->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    ps->err->line = at->line;
    ps->err->col = at->col;
    vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
    va_end(ap);
    return 0;
}

/* The next token; once the parse has failed, T_EOF, which ends every loop
 * over tokens. */
static int advance(Parser *ps)
{
    if (!ps->failed && lex_next(&ps->lx, &ps->tok, ps->err))
        return 1;
    ps->failed = 1;
    ps->tok.kind = T_EOF;
    return 0;
}

/* The token after the current one, without consuming anything. */
static Token peek(Parser *ps)
{
    Lexer copy = ps->lx;
    Token t;
    SgError ignored;
    if (!lex_next(&copy, &t, &ignored))
        t.kind = T_EOF;
    return t;
}

static int accept(Parser *ps, TokKind k)
{
    if (ps->tok.kind != k)
        return 0;
    return advance(ps);
}

static int is_name(const Token *t, const char *s)
{
    return t->kind == T_IDENT && t->len == strlen(s) && !memcmp(t->start, s, t->len);
}

static const char *describe(const Token *t, char *buf, size_t size)
{
    if (t->kind == T_NUM || t->kind == T_IDENT)
        snprintf(buf, size, "'%.*s'", t->len > 40 ? 40 : (int)t->len, t->start);
    else
        snprintf(buf, size, "%s", lex_kind_name(t->kind));
    return buf;
}

static Expr *expect_fail(Parser *ps, const char *what)
{
    char buf[64];
    fail(ps, &ps->tok, "expected %s, found %s", what, describe(&ps->tok, buf, sizeof buf));
    return NULL;
}

/* ---- names ----------------------------------------------------------------- */

static size_t edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b), row[64];
    if (na >= 63 || nb >= 63)
        return 99;
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

static size_t common_prefix(const char *a, size_t na, const char *b)
{
    size_t i = 0;
    while (i < na && b[i] && a[i] == b[i])
        i++;
    return i;
}

/* Keep name as the suggestion if it is nearer than *best (fewer edits, then
 * a longer common prefix: sinn -> sin rather than sign). */
static void consider(const Token *t, const char *name, const char **best, size_t *best_d,
                     size_t *best_prefix)
{
    size_t d = edit_distance(t->start, t->len, name);
    size_t prefix = common_prefix(t->start, t->len, name);
    if (d > *best_d || (*best && d == *best_d && prefix <= *best_prefix))
        return;
    *best = name;
    *best_d = d;
    *best_prefix = prefix;
}

/* The known function nearest to the name at t, or NULL when none is close. */
static const char *suggest(Parser *ps, const Token *t)
{
    static const char *aliases[] = {"pow", "detach"};
    const char *best = NULL;
    size_t best_d = t->len <= 3 ? 1 : 2, best_prefix = 0;
    for (int i = 0; i < OP_COUNT; i++)
        if (op_info[i].kind == KIND_FUNC)
            consider(t, op_info[i].name, &best, &best_d, &best_prefix);
    for (int i = 0; i < 2; i++)
        consider(t, aliases[i], &best, &best_d, &best_prefix);
    for (size_t i = 0; i < ps->funcs.cap; i++)
        if (ps->funcs.keys[i])
            consider(t, ((const UserFn *)ps->funcs.vals[i])->name, &best, &best_d,
                     &best_prefix);
    return best;
}

static Expr *name_node(Parser *ps, const Token *t)
{
    return expr_var(ps->ctx, t->start, t->len);
}

static const UserFn *user_fn(Parser *ps, const Token *t)
{
    return (const UserFn *)map_get(&ps->funcs, map_key(name_node(ps, t), NULL));
}

static int is_constant(const Token *t) { return is_name(t, "pi") || is_name(t, "e"); }

/* ---- expressions ------------------------------------------------------------ */

static Expr *expr(Parser *ps);
static Expr *unary(Parser *ps);

static int enter(Parser *ps)
{
    char probe;
    if (++ps->depth > ps->max_depth && ps->max_depth)
        return fail(ps, &ps->tok,
                    "expression nested deeper than %d levels (the limit; raise it with "
                    "--max-depth N)", ps->max_depth);
    if (ps->stack_floor && &probe < ps->stack_floor)
        return fail(ps, &ps->tok,
                    "expression nested %d levels deep: more than this thread's stack allows",
                    ps->depth);
    return 1;
}

/* args = '(' expr (',' expr)* ')'; returns the count, or -1 on error. */
static int call_args(Parser *ps, Expr **args, int max, const Token *name)
{
    Token open = ps->tok;
    advance(ps); /* '(' */
    int n = 0;
    if (ps->tok.kind != T_RPAREN) {
        for (;;) {
            Expr *a = expr(ps);
            if (!a)
                return -1;
            if (n < max)
                args[n] = a;
            n++;
            if (!accept(ps, T_COMMA))
                break;
        }
    }
    if (ps->tok.kind != T_RPAREN) {
        if (ps->tok.kind == T_EOF) {
            Token after = open;
            after.col++;
            fail(ps, &after, "expected ')' to close '(' opened at %d:%d", open.line, open.col);
        } else {
            char buf[64];
            fail(ps, &ps->tok, "expected ',' or ')' in the call of '%.*s', found %s",
                 (int)name->len, name->start, describe(&ps->tok, buf, sizeof buf));
        }
        return -1;
    }
    advance(ps);
    return n;
}

static const char *plural(int n) { return n == 1 ? "" : "s"; }

/* call = NAME args */
static Expr *call(Parser *ps, Token name)
{
    Expr *args[64];
    const UserFn *fn = user_fn(ps, &name);
    int op = fn ? -1 : op_find_func(name.start, name.len);
    if (!fn && op < 0) {
        const char *s = suggest(ps, &name);
        if (s)
            fail(ps, &name, "unknown function '%.*s'; did you mean '%s'?", (int)name.len,
                 name.start, s);
        else
            fail(ps, &name, "unknown function '%.*s'", (int)name.len, name.start);
        return NULL;
    }
    int n = call_args(ps, args, 64, &name);
    if (n < 0)
        return NULL;
    int want = fn ? fn->nparams : op_info[op].arity;
    if (n != want) {
        fail(ps, &name, "%.*s() takes %d argument%s, got %d", (int)name.len, name.start, want,
             plural(want), n);
        return NULL;
    }
    if (fn)
        return expr_user(ps->ctx, fn, args);
    return expr_call(ps->ctx, (Op)op, args, (size_t)n);
}

/* The accumulator's value: the sum of its terms, built once. */
static Expr *acc_sum(Parser *ps)
{
    if (!ps->acc_value)
        ps->acc_value = expr_add_n(ps->ctx, ps->acc, ps->nacc);
    return ps->acc_value;
}

static void acc_push(Parser *ps, Expr *e)
{
    if (ps->nacc == ps->acc_cap)
        ps->acc = sg_realloc(ps->acc, (ps->acc_cap = ps->acc_cap ? 2 * ps->acc_cap : 64) *
                                          sizeof *ps->acc);
    ps->acc[ps->nacc++] = e;
    ps->acc_value = NULL;
}

/* Does e use the placeholder? The variable masks answer most cases. */
static int uses_acc(Parser *ps, Expr *e)
{
    if (!ps->acc_name || !(e->vars & ps->acc_p->vars))
        return 0;
    Expr **vars;
    size_t n = expr_free_vars(&e, 1, &vars);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= vars[i] == ps->acc_p;
    free(vars);
    return found;
}

/* e with the placeholder replaced by the accumulator's value. */
static Expr *resolve_acc(Parser *ps, Expr *e)
{
    if (!uses_acc(ps, e))
        return e;
    Expr *sum = acc_sum(ps);
    return expr_subst(ps->ctx, e, &ps->acc_p, &sum, 1);
}

/* name = v, a statement: `a = a + t` with a the accumulator appends t;
 * another sum becomes the accumulator; anything else is bound as it is. */
static Expr *bind_value(Parser *ps, Expr *name, Expr *v)
{
    if (name == ps->acc_name && v->op == OP_ADD) {
        int direct = 0, inside = 0; /* acc_p as a term, and anywhere else */
        for (uint32_t i = 0; i < v->n; i++) {
            if (v->args[i] == ps->acc_p)
                direct++;
            else
                inside |= uses_acc(ps, v->args[i]);
        }
        if (direct == 1 && !inside) {
            for (uint32_t i = 0; i < v->n; i++)
                if (v->args[i] != ps->acc_p)
                    acc_push(ps, v->args[i]);
            return ps->acc_p;
        }
    }
    if (v == ps->acc_p && name == ps->acc_name) /* a = a, or a = a + 0 */
        return v;
    v = resolve_acc(ps, v);
    if (name == ps->acc_name) /* rebound otherwise: the terms are not needed */
        ps->acc_name = NULL;
    if (v->op != OP_ADD) {
        map_put(&ps->bindings, map_key(name, NULL), v);
        return v;
    }
    if (ps->acc_name) /* the old accumulator takes its value for good */
        map_put(&ps->bindings, map_key(ps->acc_name, NULL), acc_sum(ps));
    if (!ps->acc_p)
        ps->acc_p = expr_var(ps->ctx, "#sum", 4); /* '#' starts a comment: no name */
    ps->acc_name = name;
    ps->nacc = 0;
    for (uint32_t i = 0; i < v->n; i++)
        acc_push(ps, v->args[i]);
    ps->acc_value = v;
    map_put(&ps->bindings, map_key(name, NULL), ps->acc_p);
    return ps->acc_p;
}

/* A name used as a value: a def parameter, a binding, a constant or a
 * free variable. */
static Expr *name_value(Parser *ps, const Token *t)
{
    Expr *v = name_node(ps, t);
    if (ps->in_def)
        for (int i = 0; i < ps->in_def->nparams; i++)
            if (ps->in_def->params[i] == v)
                return v;
    Expr *bound = map_get(&ps->bindings, map_key(v, NULL));
    if (bound && bound == ps->acc_p && ps->in_def) /* a def keeps no placeholder */
        return acc_sum(ps);
    if (bound)
        return bound;
    if (is_name(t, "pi"))
        return expr_constant(ps->ctx, OP_PI);
    if (is_name(t, "e"))
        return expr_constant(ps->ctx, OP_E);
    if (op_find_func(t->start, t->len) >= 0 || user_fn(ps, t)) {
        fail(ps, t, "'%.*s' is a function: call it as %.*s(...)", (int)t->len, t->start,
             (int)t->len, t->start);
        return NULL;
    }
    return v;
}

/* primary = NUMBER | NAME | NAME args | '(' expr ')' */
static Expr *primary(Parser *ps)
{
    Token t = ps->tok;
    switch (t.kind) {
    case T_NUM:
        advance(ps);
        return t.exact ? expr_int(ps->ctx, t.inum) : expr_num(ps->ctx, t.num);
    case T_IDENT:
        advance(ps);
        if (ps->tok.kind == T_LPAREN)
            return call(ps, t);
        return name_value(ps, &t);
    case T_LPAREN: {
        advance(ps);
        Expr *e = expr(ps);
        if (!e)
            return NULL;
        if (ps->tok.kind != T_RPAREN) {
            if (ps->tok.kind == T_EOF) {
                Token after = t;
                after.col++;
                return fail(ps, &after, "expected ')' to close '(' opened at %d:%d", t.line,
                            t.col), NULL;
            }
            return expect_fail(ps, "')'");
        }
        advance(ps);
        return e;
    }
    default:
        return expect_fail(ps, "a number, a name or '('");
    }
}

/* power = primary (('^' | '**') unary)?    right-associative through unary */
static Expr *power(Parser *ps)
{
    Expr *b = primary(ps);
    if (!b || ps->tok.kind != T_CARET)
        return b;
    advance(ps);
    if (!enter(ps))
        return NULL;
    Expr *e = unary(ps);
    ps->depth--;
    return e ? expr_pow(ps->ctx, b, e) : NULL;
}

/* unary = ('-' | '+') unary | power */
static Expr *unary(Parser *ps)
{
    if (ps->tok.kind != T_MINUS && ps->tok.kind != T_PLUS)
        return power(ps);
    int neg = 0;
    while (ps->tok.kind == T_MINUS || ps->tok.kind == T_PLUS) { /* --x: no recursion */
        neg ^= ps->tok.kind == T_MINUS;
        advance(ps);
    }
    Expr *e = power(ps);
    return e && neg ? expr_neg(ps->ctx, e) : e;
}

/* A list the parser collects an n-ary sum or product in. */
typedef struct {
    Expr **v;
    size_t n, cap;
} Terms;

static void terms_push(Terms *t, Expr *e)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        Expr **v = sg_realloc(t->v, t->cap * sizeof *v);
        if (!v)
            abort();
        t->v = v;
    }
    t->v[t->n++] = e;
}

/* mul = unary (('*' | '/') unary)* */
static Expr *mul(Parser *ps)
{
    Expr *e = unary(ps);
    if (!e || (ps->tok.kind != T_STAR && ps->tok.kind != T_SLASH))
        return e;
    Terms f = {0};
    terms_push(&f, e);
    while (ps->tok.kind == T_STAR || ps->tok.kind == T_SLASH) {
        int div = ps->tok.kind == T_SLASH;
        advance(ps);
        Expr *r = unary(ps);
        if (!r) {
            free(f.v);
            return NULL;
        }
        terms_push(&f, div ? expr_pow(ps->ctx, r, expr_int(ps->ctx, -1)) : r);
    }
    e = expr_mul_n(ps->ctx, f.v, f.n);
    free(f.v);
    return e;
}

/* add = mul (('+' | '-') mul)*    collected into one n-ary sum */
static Expr *add(Parser *ps)
{
    Expr *e = mul(ps);
    if (!e || (ps->tok.kind != T_PLUS && ps->tok.kind != T_MINUS))
        return e;
    Terms t = {0};
    terms_push(&t, e);
    while (ps->tok.kind == T_PLUS || ps->tok.kind == T_MINUS) {
        int minus = ps->tok.kind == T_MINUS;
        advance(ps);
        Expr *r = mul(ps);
        if (!r) {
            free(t.v);
            return NULL;
        }
        terms_push(&t, minus ? expr_neg(ps->ctx, r) : r);
    }
    e = expr_add_n(ps->ctx, t.v, t.n);
    free(t.v);
    return e;
}

static int cmp_op(TokKind k)
{
    switch (k) {
    case T_LT: return OP_LT;
    case T_LE: return OP_LE;
    case T_GT: return OP_GT;
    case T_GE: return OP_GE;
    case T_EQ: return OP_EQ;
    case T_NE: return OP_NE;
    default: return -1;
    }
}

/* cmp = add (('<' | '<=' | '>' | '>=' | '==' | '!=') add)* */
static Expr *cmp(Parser *ps)
{
    Expr *e = add(ps);
    int op;
    while (e && (op = cmp_op(ps->tok.kind)) >= 0) {
        advance(ps);
        Expr *r = add(ps);
        e = r ? expr_call2(ps->ctx, (Op)op, e, r) : NULL;
    }
    return e;
}

/* and = cmp ('&&' cmp)* */
static Expr *and_(Parser *ps)
{
    Expr *e = cmp(ps);
    while (e && accept(ps, T_AND)) {
        Expr *r = cmp(ps);
        e = r ? expr_call2(ps->ctx, OP_AND, e, r) : NULL;
    }
    return e;
}

/* or = and ('||' and)* */
static Expr *or_(Parser *ps)
{
    Expr *e = and_(ps);
    while (e && accept(ps, T_OR)) {
        Expr *r = and_(ps);
        e = r ? expr_call2(ps->ctx, OP_OR, e, r) : NULL;
    }
    return e;
}

/* expr = or ('?' expr ':' expr)? */
static Expr *expr(Parser *ps)
{
    if (!enter(ps))
        return NULL;
    Expr *c = or_(ps), *r = c;
    if (c && ps->tok.kind == T_QUESTION) {
        Token q = ps->tok;
        advance(ps);
        Expr *a = expr(ps);
        if (a && ps->tok.kind != T_COLON) {
            char buf[64];
            fail(ps, &ps->tok, "expected ':' for the '?' at %d:%d, found %s", q.line, q.col,
                 describe(&ps->tok, buf, sizeof buf));
            a = NULL;
        }
        Expr *b = a && advance(ps) ? expr(ps) : NULL;
        r = b ? expr_call(ps->ctx, OP_SELECT, (Expr *[]){c, a, b}, 3) : NULL;
    }
    ps->depth--;
    return r;
}

/* ---- statements ------------------------------------------------------------- */

static int check_new_name(Parser *ps, const Token *t, const char *what)
{
    if (is_constant(t) || op_find_func(t->start, t->len) >= 0)
        return fail(ps, t, "cannot use '%.*s' as %s: it is a built-in %s", (int)t->len,
                    t->start, what, is_constant(t) ? "constant" : "function");
    return 1;
}

/* grad = 'grad' (expr | '(' expr (',' expr)* ')') with one partial a parameter */
static int def_grad(Parser *ps, UserFn *fn, const Token *name)
{
    Token at = ps->tok;
    advance(ps);
    fn->grad = sg_alloc(ps->ctx, (size_t)fn->nparams * sizeof *fn->grad);
    int n = 0;
    if (fn->nparams > 1 && ps->tok.kind == T_LPAREN) {
        Expr *g[64];
        n = call_args(ps, g, 64, &at);
        if (n < 0)
            return 0;
        for (int i = 0; i < n && i < fn->nparams; i++)
            fn->grad[i] = g[i];
    } else {
        fn->grad[0] = expr(ps);
        if (!fn->grad[0])
            return 0;
        n = 1;
    }
    if (n != fn->nparams)
        return fail(ps, &at, "'%.*s' has %d parameter%s, so grad needs %d partial%s, got %d",
                    (int)name->len, name->start, fn->nparams, plural(fn->nparams),
                    fn->nparams, plural(fn->nparams), n);
    return 1;
}

/* def = 'def' NAME '(' NAME (',' NAME)* ')' '=' expr grad? */
static int def(Parser *ps)
{
    advance(ps); /* def */
    Token name = ps->tok;
    if (!check_new_name(ps, &name, "a function name"))
        return 0;
    advance(ps);
    UserFn *fn = sg_alloc(ps->ctx, sizeof *fn);
    char *s = sg_alloc(ps->ctx, name.len + 1);
    memcpy(s, name.start, name.len);
    s[name.len] = 0;
    fn->name = s;
    Expr *params[64];
    if (!accept(ps, T_LPAREN))
        return expect_fail(ps, "'(' after the function name"), 0;
    while (ps->tok.kind == T_IDENT) {
        if (fn->nparams == 64)
            return fail(ps, &ps->tok, "more than 64 parameters");
        if (!check_new_name(ps, &ps->tok, "a parameter"))
            return 0;
        Expr *param = name_node(ps, &ps->tok);
        for (int k = 0; k < fn->nparams; k++)
            if (params[k] == param)
                return fail(ps, &ps->tok, "parameter '%.*s' is listed twice",
                            (int)ps->tok.len, ps->tok.start);
        params[fn->nparams++] = param;
        advance(ps);
        if (!accept(ps, T_COMMA))
            break;
    }
    if (!fn->nparams)
        return expect_fail(ps, "a parameter name"), 0;
    if (!accept(ps, T_RPAREN))
        return expect_fail(ps, "',' or ')' after a parameter"), 0;
    if (!accept(ps, T_ASSIGN))
        return expect_fail(ps, "'=' and the function body"), 0;
    fn->params = sg_alloc(ps->ctx, (size_t)fn->nparams * sizeof *fn->params);
    memcpy(fn->params, params, (size_t)fn->nparams * sizeof *params);
    ps->in_def = fn;
    fn->body = expr(ps);
    int ok = fn->body && (!is_name(&ps->tok, "grad") || def_grad(ps, fn, &name));
    ps->in_def = NULL;
    if (ok)
        map_put(&ps->funcs, map_key(name_node(ps, &name), NULL), (Expr *)fn);
    return ok;
}

/* stmt = def | NAME '=' expr | expr | nothing */
static int statement(Parser *ps, Expr **last_expr, Expr **last_binding)
{
    Token t = ps->tok;
    if (t.kind == T_NEWLINE || t.kind == T_SEMI || t.kind == T_EOF)
        return 1;
    if (is_name(&t, "def") && peek(ps).kind == T_IDENT)
        return def(ps);
    if (t.kind == T_IDENT && peek(ps).kind == T_ASSIGN) {
        if (!check_new_name(ps, &t, "a variable"))
            return 0;
        advance(ps);
        advance(ps);
        Expr *v = expr(ps);
        if (!v)
            return 0;
        *last_binding = bind_value(ps, name_node(ps, &t), v);
        return 1;
    }
    Expr *e = expr(ps);
    if (e)
        *last_expr = resolve_acc(ps, e);
    return e != NULL;
}

int parse_program(SgCtx *ctx, const char *src, size_t len, Program *prog, SgError *err)
{
    Parser ps = {.ctx = ctx, .err = err, .stack_floor = stack_floor(),
                 .max_depth = sg_limits(ctx)->max_depth};
    memset(err, 0, sizeof *err);
    lex_init(&ps.lx, src, len);
    Expr *last_expr = NULL, *last_binding = NULL;
    if (advance(&ps)) {
        while (statement(&ps, &last_expr, &last_binding)) {
            if (ps.tok.kind == T_EOF)
                break;
            if (ps.tok.kind == T_RPAREN) {
                fail(&ps, &ps.tok, "')' without a matching '('");
                break;
            }
            if (ps.tok.kind != T_NEWLINE && ps.tok.kind != T_SEMI) {
                char buf[64];
                fail(&ps, &ps.tok, "expected an operator or the end of the statement, found %s",
                     describe(&ps.tok, buf, sizeof buf));
                break;
            }
            advance(&ps);
        }
    }
    map_free(&ps.bindings);
    map_free(&ps.funcs);
    if (!ps.failed && !last_expr && last_binding)
        last_binding = resolve_acc(&ps, last_binding);
    free(ps.acc);
    if (ps.failed)
        return 0;
    prog->source = src;
    prog->out = last_expr ? last_expr : last_binding;
    if (!prog->out) {
        sg_error_set(err, 0, 0, "nothing to differentiate: the input has no expression");
        return 0;
    }
    return 1;
}
