/* reverse.c - gradients by one reverse (adjoint) sweep. The nodes under f
 * that depend on a variable of the gradient are ordered once (parents
 * before arguments); each node's adjoint, the sum of what its parents
 * contribute, is passed on to its arguments times the local partial. Every
 * adjoint is a node of the same graph, so the gradient prints, emits and
 * compiles like any derivative; an adjoint used twice is one shared node,
 * and long sums and products are held whole (OP_HOLD) so that no chain of
 * them is copied into the next: the whole gradient is O(size of f).
 *
 * Inside a branch of ?: a contribution is guarded by the branch's own
 * condition (c ? adj * partial : 0), so the backward pass, like the
 * forward one, never evaluates the branch not taken. */
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

#define FEW 8 /* longer adjoint sums and products are held whole */

/* The branch of a ?: that a contribution was made in. Guard 0 is the top
 * level; guards form a tree by `up`. */
typedef struct {
    Expr *cond;
    int branch;     /* 1: taken when cond holds, 2: when it does not */
    uint32_t up;
    uint32_t depth; /* guards above it */
} Guard;

/* One contribution to a node's adjoint, made under a guard. */
typedef struct {
    Expr *val;
    uint32_t guard;
    uint32_t next; /* the node's next contribution (pool index), 0 = none */
} Contrib;

typedef struct {
    SgCtx *ctx;
    size_t nids;      /* the graph's nodes at the start: all of f's are below */
    uint8_t *dep;     /* by id: 1 = depends on a variable of the gradient */
    uint8_t *wrt;     /* by id: 1 = a variable of the gradient */
    uint32_t *head;   /* by id: first contribution (pool index), 0 = none */
    Contrib *pool;
    size_t npool, cappool;
    Guard *guards;
    size_t nguards, capguards;
    Expr **order;     /* the dependent nodes, arguments before parents */
    size_t norder;
    struct BodyVars { const UserFn *fn; Expr **vars; size_t n; } *bodies; /* see body_vars */
    size_t nbodies;
} Sweep;

static Expr *mul(Sweep *s, Expr *a, Expr *b) { return expr_mul(s->ctx, a, b); }

static uint32_t new_guard(Sweep *s, Expr *cond, int branch, uint32_t up)
{
    if (s->nguards == s->capguards)
        s->guards = sg_realloc(s->guards, (s->capguards *= 2) * sizeof *s->guards);
    s->guards[s->nguards] = (Guard){cond, branch, up, s->guards[up].depth + 1};
    return (uint32_t)s->nguards++;
}

/* The innermost guard that encloses both a and b. */
static uint32_t meet(const Sweep *s, uint32_t a, uint32_t b)
{
    while (a != b) {
        if (s->guards[a].depth >= s->guards[b].depth)
            a = s->guards[a].up;
        else
            b = s->guards[b].up;
    }
    return a;
}

/* v made under guard `from`, as a value under the enclosing guard `to`:
 * c ? v : 0 for each branch between. */
static Expr *wrap(Sweep *s, Expr *v, uint32_t from, uint32_t to)
{
    Expr *zero = expr_int(s->ctx, 0);
    for (; from != to && !expr_is_zero(v); from = s->guards[from].up) {
        const Guard *g = &s->guards[from];
        Expr *args[3] = {g->cond, g->branch == 1 ? v : zero, g->branch == 1 ? zero : v};
        v = expr_call(s->ctx, OP_SELECT, args, 3);
    }
    return v;
}

static void contribute(Sweep *s, Expr *to, Expr *val, uint32_t guard)
{
    if (expr_is_zero(val) || !s->dep[to->id])
        return;
    if (s->npool == s->cappool)
        s->pool = sg_realloc(s->pool, (s->cappool *= 2) * sizeof *s->pool);
    s->pool[s->npool] = (Contrib){val, guard, s->head[to->id]};
    s->head[to->id] = (uint32_t)s->npool++;
}

/* The adjoint of e: its contributions summed under the guard that encloses
 * them all (returned in *guard); NULL when nothing reached e. */
static Expr *adjoint(Sweep *s, const Expr *e, uint32_t *guard)
{
    uint32_t g = UINT32_MAX, n = 0;
    for (uint32_t c = s->head[e->id]; c; c = s->pool[c].next, n++)
        g = g == UINT32_MAX ? s->pool[c].guard : meet(s, g, s->pool[c].guard);
    if (!n)
        return NULL;
    Expr **terms = sg_realloc(NULL, n * sizeof *terms);
    n = 0;
    for (uint32_t c = s->head[e->id]; c; c = s->pool[c].next)
        terms[n++] = wrap(s, s->pool[c].val, s->pool[c].guard, g);
    Expr *adj = expr_add_n(s->ctx, terms, n);
    free(terms);
    if ((adj->op == OP_ADD || adj->op == OP_MUL) && adj->n > FEW)
        adj = expr_call1(s->ctx, OP_HOLD, adj);
    *guard = g;
    return adj;
}

/* The arguments of e that its value depends on differentiably, as
 * [*first, e->n): a call's actuals, the branches of ?:, none for stop or
 * a comparison. */
static uint32_t first_arg(const Expr *e, uint32_t *end)
{
    *end = e->n;
    if (e->op == OP_CALL)
        return 1;
    if (e->op == OP_SELECT)
        return 1;
    if (e->op == OP_STOP || op_info[e->op].kind == KIND_CMP)
        *end = 0;
    return 0;
}

/* The variables of the gradient that a call's body uses other than
 * through its parameters (found once per definition): the body's partial
 * in each is passed on directly, as deriv's user rule does. */
static struct BodyVars *body_vars(Sweep *s, const UserFn *fn)
{
    for (size_t i = 0; i < s->nbodies; i++)
        if (s->bodies[i].fn == fn)
            return &s->bodies[i];
    s->bodies = sg_realloc(s->bodies, (s->nbodies + 1) * sizeof *s->bodies);
    struct BodyVars *b = &s->bodies[s->nbodies++];
    Expr **vars;
    Expr *body = fn->body;
    size_t n = expr_free_vars(&body, 1, &vars), k = 0;
    for (size_t i = 0; i < n; i++) {
        int param = 0;
        for (int j = 0; j < fn->nparams; j++)
            param |= fn->params[j] == vars[i];
        if (!param && vars[i]->id < s->nids && s->wrt[vars[i]->id])
            vars[k++] = vars[i];
    }
    *b = (struct BodyVars){fn, vars, k};
    return b;
}

/* Order the nodes under f that depend on a variable of the gradient,
 * arguments first (an explicit stack: the depth is the user's). */
static void order_nodes(Sweep *s, Expr *f)
{
    uint8_t *seen = calloc(s->nids, 1);
    size_t cap = 64, sp = 0;
    struct { Expr *e; uint32_t next; } *stack = sg_realloc(NULL, cap * sizeof *stack);
    s->order = sg_realloc(NULL, s->nids * sizeof *s->order);
    stack[sp++].e = f, stack[0].next = UINT32_MAX;
    while (sp) {
        Expr *e = stack[sp - 1].e;
        uint32_t end, i = stack[sp - 1].next;
        uint32_t first = first_arg(e, &end);
        if (i == UINT32_MAX) { /* first visit */
            if (seen[e->id]) {
                sp--;
                continue;
            }
            seen[e->id] = 1;
            i = first;
        }
        if (i < end) {
            stack[sp - 1].next = i + 1;
            if (!seen[e->args[i]->id] && e->args[i]->vars) {
                if (sp == cap)
                    stack = sg_realloc(stack, (cap *= 2) * sizeof *stack);
                stack[sp].e = e->args[i];
                stack[sp++].next = UINT32_MAX;
            }
            continue;
        }
        sp--;
        int d = s->wrt[e->id];
        for (uint32_t k = first; k < end && !d; k++)
            d = s->dep[e->args[k]->id];
        if (e->op == OP_CALL && !d)
            d = body_vars(s, e->fn)->n > 0;
        s->dep[e->id] = (uint8_t)d;
        if (d)
            s->order[s->norder++] = e;
    }
    free(stack);
    free(seen);
}

/* Pass adj (valid under guard g) from the n-ary product e to its factors. */
static void product(Sweep *s, Expr *e, Expr *adj, uint32_t g)
{
    SgCtx *ctx = s->ctx;
    Expr **need = sg_realloc(NULL, e->n * sizeof *need);
    Expr **others = sg_realloc(NULL, e->n * sizeof *others);
    uint32_t m = 0;
    for (uint32_t i = 0; i < e->n; i++) {
        need[i] = expr_int(ctx, s->dep[e->args[i]->id]);
        m += s->dep[e->args[i]->id];
    }
    if (m > 1 && e->n > FEW + 1) {
        deriv_others(ctx, e->args, e->n, need, adj, others);
        for (uint32_t i = 0; i < e->n; i++)
            if (s->dep[e->args[i]->id])
                contribute(s, e->args[i], others[i], g);
    } else {
        Expr **f = sg_realloc(NULL, (e->n + 1) * sizeof *f);
        for (uint32_t i = 0; i < e->n; i++) {
            if (!s->dep[e->args[i]->id])
                continue;
            uint32_t k = 0;
            for (uint32_t j = 0; j < e->n; j++)
                if (j != i)
                    f[k++] = e->args[j];
            f[k++] = adj;
            contribute(s, e->args[i], expr_mul_n(ctx, f, k), g);
        }
        free(f);
    }
    free(need);
    free(others);
}

/* c ? v : 0 (branch 1) or c ? 0 : v (branch 2). */
static Expr *select_if(SgCtx *ctx, Expr *c, Expr *v, int branch)
{
    Expr *zero = expr_int(ctx, 0);
    Expr *args[3] = {c, branch == 1 ? v : zero, branch == 1 ? zero : v};
    return expr_call(ctx, OP_SELECT, args, 3);
}

/* Pass e's adjoint adj (valid under guard g) to its arguments. */
static void pass(Sweep *s, Expr *e, Expr *adj, uint32_t g)
{
    SgCtx *ctx = s->ctx;
    Expr **a = e->args;
    switch (e->op) {
    case OP_ADD:
    case OP_HOLD: {
        /* A sum's terms are mostly products c*x: an adjoint that is itself
         * a product (a/b) is held whole, computed once, not folded into
         * every term's c*a/b (a division each). */
        uint32_t m = 0, k = 0;
        for (uint32_t i = 0; i < e->n; i++)
            m += s->dep[a[i]->id];
        for (uint32_t i = 0; adj->op == OP_MUL && i < adj->n; i++)
            k += adj->args[i]->op != OP_NUM;
        if (m > 1 && k > 1)
            adj = expr_call1(ctx, OP_HOLD, adj);
        for (uint32_t i = 0; i < e->n; i++)
            contribute(s, a[i], adj, g);
        return;
    }
    case OP_MUL: product(s, e, adj, g); return;
    case OP_POW: /* d u^v = v u^(v-1) du + u^v log(u) dv */
        if (s->dep[a[0]->id])
            contribute(s, a[0],
                       expr_mul_n(ctx, (Expr *[]){adj, a[1],
                                                  expr_pow(ctx, a[0], expr_sub(ctx, a[1], expr_int(ctx, 1)))},
                                  3),
                       g);
        if (s->dep[a[1]->id])
            contribute(s, a[1], expr_mul_n(ctx, (Expr *[]){adj, e, expr_call1(ctx, OP_LOG, a[0])}, 3), g);
        return;
    case OP_SELECT: /* each branch under its own guard */
        for (int b = 1; b <= 2; b++)
            if (s->dep[a[b]->id])
                contribute(s, a[b], adj, new_guard(s, a[0], b, g));
        return;
    case OP_CALL: {
        const UserFn *fn = e->fn;
        size_t np = (size_t)fn->nparams;
        for (size_t i = 0; i < np; i++)
            if (s->dep[a[i + 1]->id])
                contribute(s, a[i + 1], mul(s, adj, expr_subst(ctx, fn->grad[i], fn->params, a + 1, np)), g);
        struct BodyVars *b = body_vars(s, fn);
        for (size_t k = 0; k < b->n; k++) /* variables the body uses itself */
            contribute(s, b->vars[k],
                       mul(s, adj, expr_subst(ctx, deriv(ctx, fn->body, b->vars[k]), fn->params, a + 1, np)),
                       g);
        return;
    }
    case OP_MIN: case OP_MAX: { /* a tie follows the first argument */
        Expr *first = expr_call2(ctx, e->op == OP_MIN ? OP_LE : OP_GE, a[0], a[1]);
        contribute(s, a[0], select_if(ctx, first, adj, 1), g);
        contribute(s, a[1], select_if(ctx, first, adj, 2), g);
        return;
    }
    case OP_CLAMP: { /* clamp(x, lo, hi): slope 1 on the closed interval */
        Expr *below = expr_call2(ctx, OP_LT, a[0], a[1]), *above = expr_call2(ctx, OP_GT, a[0], a[2]);
        contribute(s, a[1], select_if(ctx, below, adj, 1), g);
        contribute(s, a[2], select_if(ctx, below, select_if(ctx, above, adj, 1), 2), g);
        contribute(s, a[0], select_if(ctx, below, select_if(ctx, above, adj, 2), 2), g);
        return;
    }
    case OP_ATAN2: { /* atan2(y, x): (x dy - y dx) / (y^2 + x^2) */
        Expr *r2 = expr_add(ctx, expr_pow(ctx, a[0], expr_int(ctx, 2)), expr_pow(ctx, a[1], expr_int(ctx, 2)));
        contribute(s, a[0], mul(s, adj, expr_div(ctx, a[1], r2)), g);
        contribute(s, a[1], mul(s, adj, expr_neg(ctx, expr_div(ctx, a[0], r2))), g);
        return;
    }
    case OP_HYPOT:
        for (int i = 0; i < 2; i++)
            contribute(s, a[i], mul(s, adj, expr_div(ctx, a[i], e)), g);
        return;
    case OP_RELU: /* (u > 0 ? adj : 0): a nan adjoint where relu is flat stays out */
        contribute(s, a[0], select_if(ctx, expr_call2(ctx, OP_GT, a[0], expr_int(ctx, 0)), adj, 1), g);
        return;
    default:
        if (e->n == 1 && op_info[e->op].kind == KIND_FUNC && e->op != OP_STOP)
            contribute(s, a[0], mul(s, adj, deriv_unary(ctx, (Op)e->op, a[0])), g);
        return;
    }
}

void reverse_grad(SgCtx *ctx, Expr *f, Expr **wrt, size_t nwrt, Expr **grad)
{
    Sweep s = {.ctx = ctx, .nids = sg_node_count(ctx), .npool = 1, .cappool = 64,
               .nguards = 1, .capguards = 16};
    s.dep = calloc(s.nids, 1);
    s.wrt = calloc(s.nids, 1);
    s.head = calloc(s.nids, sizeof *s.head);
    s.pool = sg_realloc(NULL, s.cappool * sizeof *s.pool);
    s.guards = sg_realloc(NULL, s.capguards * sizeof *s.guards);
    s.guards[0] = (Guard){NULL, 0, 0, 0};
    if (!s.dep || !s.wrt || !s.head)
        abort();
    for (size_t i = 0; i < nwrt; i++)
        s.wrt[wrt[i]->id] = 1;
    for (size_t i = 0; i < nwrt; i++)
        s.dep[wrt[i]->id] = 1; /* a custom grad's body may reach it directly */
    order_nodes(&s, f);
    contribute(&s, f, expr_int(ctx, 1), 0);
    for (size_t k = s.norder; k-- > 0;) { /* parents before their arguments */
        Expr *e = s.order[k];
        uint32_t g;
        Expr *adj = e->op == OP_VAR ? NULL : adjoint(&s, e, &g);
        if (adj)
            pass(&s, e, adj, g);
    }
    for (size_t i = 0; i < nwrt; i++) {
        uint32_t g;
        Expr *adj = s.dep[wrt[i]->id] ? adjoint(&s, wrt[i], &g) : NULL;
        grad[i] = adj ? wrap(&s, adj, g, 0) : expr_int(ctx, 0);
    }
    free(s.dep);
    free(s.wrt);
    free(s.head);
    free(s.pool);
    free(s.guards);
    free(s.order);
    for (size_t i = 0; i < s.nbodies; i++)
        free(s.bodies[i].vars);
    free(s.bodies);
}
