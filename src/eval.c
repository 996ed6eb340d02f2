/* eval.c - the numeric meaning of every operation, shared by constant
 * folding and by a direct interpreter of the graph. The interpreter is the
 * reference the JIT-compiled code is tested against; both follow the same
 * conventions (min/max ties take the first argument, stable sigmoid). */
#include <math.h>
#include <stdlib.h>

#include "sg_internal.h"

static double sigmoid(double x)
{
    if (x >= 0)
        return 1 / (1 + exp(-x));
    double t = exp(x);
    return t / (1 + t);
}

static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

double eval_op(Op op, const double *a)
{
    switch (op) {
    case OP_PI: return 3.14159265358979323846;
    case OP_E: return 2.71828182845904523536;
    case OP_POW: return pow(a[0], a[1]);
    case OP_SELECT: return a[0] != 0 ? a[1] : a[2];
    case OP_LT: return a[0] < a[1];
    case OP_LE: return a[0] <= a[1];
    case OP_GT: return a[0] > a[1];
    case OP_GE: return a[0] >= a[1];
    case OP_EQ: return a[0] == a[1];
    case OP_NE: return a[0] != a[1];
    case OP_AND: return a[0] != 0 && a[1] != 0;
    case OP_OR: return a[0] != 0 || a[1] != 0;
    case OP_ABS: return fabs(a[0]);
    case OP_ACOS: return acos(a[0]);
    case OP_ACOSH: return acosh(a[0]);
    case OP_ASIN: return asin(a[0]);
    case OP_ASINH: return asinh(a[0]);
    case OP_ATAN: return atan(a[0]);
    case OP_ATANH: return atanh(a[0]);
    case OP_CBRT: return cbrt(a[0]);
    case OP_CEIL: return ceil(a[0]);
    case OP_COS: return cos(a[0]);
    case OP_COSH: return cosh(a[0]);
    case OP_ERF: return erf(a[0]);
    case OP_ERFC: return erfc(a[0]);
    case OP_EXP: return exp(a[0]);
    case OP_EXPM1: return expm1(a[0]);
    case OP_FLOOR: return floor(a[0]);
    case OP_LOG: return log(a[0]);
    case OP_LOG10: return log10(a[0]);
    case OP_LOG1P: return log1p(a[0]);
    case OP_LOG2: return log2(a[0]);
    case OP_RELU: return a[0] <= 0 ? 0 : a[0]; /* NaN stays NaN */
    case OP_SIGMOID: return sigmoid(a[0]);
    case OP_SIGN: return a[0] > 0 ? 1 : a[0] < 0 ? -1 : a[0];
    case OP_SIN: return sin(a[0]);
    case OP_SINH: return sinh(a[0]);
    case OP_SOFTPLUS: return softplus(a[0]);
    case OP_SQRT: return sqrt(a[0]);
    case OP_STOP: case OP_HOLD: return a[0];
    case OP_TAN: return tan(a[0]);
    case OP_TANH: return tanh(a[0]);
    case OP_ATAN2: return atan2(a[0], a[1]);
    case OP_HYPOT: return hypot(a[0], a[1]);
    case OP_MAX: return a[0] >= a[1] || isnan(a[0]) ? a[0] : a[1];
    case OP_MIN: return a[0] <= a[1] || isnan(a[0]) ? a[0] : a[1];
    case OP_CLAMP: return a[0] < a[1] ? a[1] : a[0] > a[2] ? a[2] : a[0];
    default: return NAN;
    }
}

/* Values already computed, by node id. */
typedef struct {
    uint32_t *keys; /* id + 1; 0 = empty */
    double *vals;
    size_t cap, len;
} Memo;

static double *memo_slot(Memo *m, uint32_t id, int *found)
{
    if ((m->len + 1) * 2 > m->cap) {
        Memo big = {calloc(m->cap ? m->cap * 2 : 256, sizeof(uint32_t)),
                    calloc(m->cap ? m->cap * 2 : 256, sizeof(double)),
                    m->cap ? m->cap * 2 : 256, 0};
        if (!big.keys || !big.vals)
            abort();
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                int f;
                *memo_slot(&big, m->keys[i] - 1, &f) = m->vals[i];
            }
        free(m->keys);
        free(m->vals);
        *m = big;
    }
    size_t i = (id * 2654435761u) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != id + 1)
        i = (i + 1) & (m->cap - 1);
    *found = m->keys[i] != 0;
    if (!*found) {
        m->keys[i] = id + 1;
        m->len++;
    }
    return &m->vals[i];
}

static double eval(Expr *e, Memo *m)
{
    if (e->op == OP_NUM)
        return e->num;
    int found;
    double *slot = memo_slot(m, e->id, &found);
    if (found)
        return *slot;
    double v, a[3];
    switch (e->op) {
    case OP_VAR: v = NAN; break; /* unbound: set by eval_expr */
    case OP_ADD:
        v = 0;
        for (uint32_t i = 0; i < e->n; i++)
            v += eval(e->args[i], m);
        break;
    case OP_MUL:
        v = 1;
        for (uint32_t i = 0; i < e->n; i++)
            v *= eval(e->args[i], m);
        break;
    case OP_SELECT: /* the branch not taken is never evaluated */
        v = eval(e->args[0], m) != 0 ? eval(e->args[1], m) : eval(e->args[2], m);
        break;
    case OP_CALL: v = eval(e->args[0], m); break;
    default:
        for (uint32_t i = 0; i < e->n; i++)
            a[i] = eval(e->args[i], m);
        v = eval_op((Op)e->op, a);
    }
    /* the table may have grown while the arguments were evaluated */
    *memo_slot(m, e->id, &found) = v;
    return v;
}

double eval_expr(Expr *e, Expr **vars, const double *vals, size_t nvars)
{
    Memo m = {0};
    int found;
    for (size_t i = 0; i < nvars; i++)
        *memo_slot(&m, vars[i]->id, &found) = vals[i];
    double v = eval(e, &m);
    free(m.keys);
    free(m.vals);
    return v;
}
