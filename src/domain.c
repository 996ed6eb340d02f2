/* domain.c - why a value came out nan or infinite. The graph is evaluated
 * again by the interpreter's rules (eval_op) to find the first operation
 * whose value is not finite while its arguments are: log(-1), 1/0, exp(1000).
 * Only called for a result that is not finite, so the fast path (the JIT)
 * never pays for it. Hands main.c a one-line description. */
#include <math.h>
#include <stdlib.h>

#include "sg_internal.h"

typedef struct {
    double *val;      /* by node id */
    uint8_t *done;    /* by node id */
    const Expr *bad;  /* the first culprit found, or NULL */
} Walk;

/* The value of e, noting the first node that turns finite arguments into a
 * value that is not finite. Recursion is bounded by the graph's depth limit. */
static double walk(Walk *w, const Expr *e)
{
    if (w->done[e->id])
        return w->val[e->id];
    double v, a[3] = {0, 0, 0};
    int finite_args = 1;
    switch (e->op) {
    case OP_NUM: v = e->num; break;
    case OP_VAR: v = NAN; break; /* unbound: the caller sets every variable */
    case OP_ADD: case OP_MUL:
        v = e->op == OP_MUL;
        for (uint32_t i = 0; i < e->n; i++) {
            double x = walk(w, e->args[i]);
            finite_args &= isfinite(x) != 0;
            v = e->op == OP_MUL ? v * x : v + x;
        }
        break;
    case OP_SELECT: /* the branch not taken is not evaluated */
        a[0] = walk(w, e->args[0]);
        v = walk(w, e->args[a[0] != 0 ? 1 : 2]);
        finite_args = 0; /* a branch is to blame, not the choice */
        break;
    case OP_CALL: v = walk(w, e->args[0]); finite_args = 0; break;
    default:
        for (uint32_t i = 0; i < e->n && i < 3; i++) {
            a[i] = walk(w, e->args[i]);
            finite_args &= isfinite(a[i]) != 0;
        }
        v = eval_op((Op)e->op, a);
    }
    if (!w->bad && !isfinite(v) && finite_args && e->op != OP_VAR)
        w->bad = e;
    w->done[e->id] = 1;
    w->val[e->id] = v;
    return v;
}

static void put_num(Buf *b, double v, int paren)
{
    char s[40];
    fmt_double(s, sizeof s, v);
    emitf(b, paren && v < 0 ? "(%s)" : "%s", s);
}

/* The operation e with its arguments' values: log(-1), 1/0, (-8)^0.5. */
static void describe(Buf *b, const Walk *w, const Expr *e)
{
    if (e->op == OP_NUM) {
        emitf(b, "the constant ");
        print_infix(b, e);
        return;
    }
    if (e->op == OP_POW) {
        const Expr *k = e->args[1];
        double base = w->val[e->args[0]->id];
        if (k->op == OP_NUM && k->exact && (expr_q(k) == 1 || expr_q(k) == 2) && expr_p(k) == -1) {
            emitf(b, expr_q(k) == 1 ? "1/" : "1/sqrt(");
            put_num(b, base, expr_q(k) == 1);
            emitf(b, expr_q(k) == 1 ? "" : ")");
            return;
        }
        if (k->op == OP_NUM && k->exact && expr_p(k) == 1 && expr_q(k) == 2) {
            emitf(b, "sqrt(");
            put_num(b, base, 0);
            emitf(b, ")");
            return;
        }
        put_num(b, base, 1);
        emitf(b, "^");
        put_num(b, w->val[k->id], 1);
        return;
    }
    const char *sep = e->op == OP_ADD ? " + " : e->op == OP_MUL ? "*" : ", ";
    if (e->op != OP_ADD && e->op != OP_MUL)
        emitf(b, "%s(", op_info[e->op].name);
    for (uint32_t i = 0; i < e->n && i < 4; i++) {
        emitf(b, i ? sep : "");
        put_num(b, w->val[e->args[i]->id], e->op == OP_MUL);
    }
    emitf(b, e->n > 4 ? "%s..." : "", sep);
    emitf(b, e->op != OP_ADD && e->op != OP_MUL ? ")" : "");
}

/* Is a value infinite because the operation has a pole there (log(0),
 * 1/0, atanh(1)) rather than because it overflowed (exp(1000))? */
static int is_pole(const Walk *w, const Expr *e)
{
    switch (e->op) {
    case OP_LOG: case OP_LOG2: case OP_LOG10: case OP_LOG1P: case OP_ATANH: case OP_TAN:
        return 1;
    case OP_POW: return w->val[e->args[0]->id] == 0;
    default: return 0;
    }
}

int domain_explain(const Expr *e, Expr **vars, const double *vals, size_t nvars,
                   size_t id_bound, Buf *why, double *value)
{
    Walk w = {calloc(id_bound ? id_bound : 1, sizeof *w.val),
              calloc(id_bound ? id_bound : 1, 1), NULL};
    if (!w.val || !w.done) {
        free(w.val);
        free(w.done);
        return 0;
    }
    for (size_t i = 0; i < nvars; i++) {
        w.val[vars[i]->id] = vals[i];
        w.done[vars[i]->id] = 1;
    }
    double v = walk(&w, e);
    if (w.bad) {
        double bad = w.val[w.bad->id];
        describe(why, &w, w.bad);
        emitf(why, " %s", w.bad->op == OP_NUM ? "is not finite"
                           : isnan(bad)        ? "is outside its domain"
                           : is_pole(&w, w.bad) ? "is a pole"
                                                : "overflows");
        *value = bad;
    }
    free(w.val);
    free(w.done);
    return w.bad != NULL && !isfinite(v);
}
