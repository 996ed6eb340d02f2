/* report.c - a finished query as text: the human form of SPEC §3, bare
 * numbers for scripts (--values, %.17g), or one JSON object. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

#define LONG_TEXT 72 /* a function longer than this is shown once, as f */
#define LONG_POINT 4 /* a point in more variables is shown once */

/* "d/dx", "d^2/dx^2", "d^2/dxdy" */
static void pr_operator(Buf *b, const Query *q, size_t i)
{
    if (q->hessian) {
        const char *x = q->wrt[i / q->nwrt]->name, *y = q->wrt[i % q->nwrt]->name;
        if (!strcmp(x, y))
            emitf(b, "d^2/d%s^2", x);
        else
            emitf(b, "d^2/d%sd%s", x, y);
    } else if (q->order == 1) {
        emitf(b, "d/d%s", q->wrt[i]->name);
    } else {
        emitf(b, "d^%d/d%s^%d", q->order, q->wrt[i]->name, q->order);
    }
}

static void pr_value(Buf *b, double v)
{
    char s[40];
    fmt_double(s, sizeof s, v);
    emitf(b, "%s", s);
}

/* "  at x = 1, y = 2", or "  value" for a constant */
static void pr_point_vars(Buf *b, const Query *q)
{
    if (!q->nvars) {
        emitf(b, "  value");
        return;
    }
    emitf(b, "  at ");
    for (size_t i = 0; i < q->nvars; i++) {
        emitf(b, "%s%s = ", i ? ", " : "", q->vars[i]->name);
        pr_value(b, q->at[i]);
    }
}

static void pr_point(Buf *b, const Query *q)
{
    pr_point_vars(b, q);
    emitf(b, ": ");
}

static void pr_check(Buf *b, const Query *q, size_t i)
{
    emitf(b, "  check: finite difference ");
    pr_value(b, q->check_fd[i]);
    emitf(b, q->check_ok[i] ? ", agrees\n" : ", DISAGREES\n");
}

static void human(Buf *b, const Query *q, int check)
{
    char *f = expr_to_string(q->f);
    if (q->order == 0 && !q->hessian) {
        emitf(b, "%s\n", f);
        if (q->have_at) {
            pr_point(b, q);
            pr_value(b, q->value);
            emitf(b, "\n");
        }
        free(f);
        return;
    }
    /* A long function, or a point in many variables, is written once at the
     * top rather than on every line (a gradient in 10,000 variables). */
    int long_f = strlen(f) > LONG_TEXT, long_at = q->have_at && q->nvars > LONG_POINT;
    if (long_f)
        emitf(b, "f = %s\n", f);
    if (long_at) {
        pr_point_vars(b, q);
        emitf(b, "\n");
    }
    for (size_t i = 0; i < q->nderivs; i++) {
        char *d = expr_to_string(q->derivs[i]);
        pr_operator(b, q, i);
        emitf(b, " %s = %s\n", long_f ? "f" : f, d);
        free(d);
        if (q->have_at) {
            if (long_at)
                emitf(b, "  value: ");
            else
                pr_point(b, q);
            pr_value(b, q->dvalues[i]);
            emitf(b, "\n");
            if (check)
                pr_check(b, q, i);
        }
    }
    free(f);
}

/* %.17g, except that every NaN is "nan" (C may print -nan). */
static void value17(Buf *b, double v, const char *end)
{
    if (isnan(v))
        emitf(b, "nan%s", end);
    else
        emitf(b, "%.17g%s", v, end);
}

static void values(Buf *b, const Query *q)
{
    if (q->order == 0 && !q->hessian) {
        value17(b, q->value, "\n");
        return;
    }
    size_t cols = q->hessian ? q->nwrt : 1;
    for (size_t i = 0; i < q->nderivs; i++)
        value17(b, q->dvalues[i], (i + 1) % cols ? " " : "\n");
}

static void json_str(Buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            emitf(b, "\\%c", c);
        else if (c < 0x20)
            emitf(b, "\\u%04x", c);
        else
            buf_putc(b, (char)c);
    }
    buf_putc(b, '"');
}

static void json_expr(Buf *b, const Expr *e)
{
    char *s = expr_to_string(e);
    json_str(b, s);
    free(s);
}

static void json_num(Buf *b, double v)
{
    if (isnan(v) || isinf(v))
        emitf(b, "null");
    else
        pr_value(b, v);
}

static void json_entry(Buf *b, const Query *q, size_t i, int check)
{
    emitf(b, "{\"wrt\": ");
    if (q->hessian) {
        emitf(b, "[");
        json_str(b, q->wrt[i / q->nwrt]->name);
        emitf(b, ", ");
        json_str(b, q->wrt[i % q->nwrt]->name);
        emitf(b, "], \"order\": 2");
    } else {
        json_str(b, q->wrt[i]->name);
        emitf(b, ", \"order\": %d", q->order);
    }
    emitf(b, ", \"expr\": ");
    json_expr(b, q->derivs[i]);
    if (q->have_at) {
        emitf(b, ", \"value\": ");
        json_num(b, q->dvalues[i]);
        if (check) {
            emitf(b, ", \"finite_difference\": ");
            json_num(b, q->check_fd[i]);
            emitf(b, ", \"check\": %s", q->check_ok[i] ? "true" : "false");
        }
    }
    emitf(b, "}");
}

static void json(Buf *b, const Query *q, int check)
{
    emitf(b, "{\"function\": ");
    json_expr(b, q->f);
    emitf(b, ", \"wrt\": [");
    for (size_t i = 0; i < q->nwrt; i++) {
        emitf(b, i ? ", " : "");
        json_str(b, q->wrt[i]->name);
    }
    emitf(b, "], \"order\": %d", q->hessian ? 2 : q->order);
    if (q->have_at) {
        emitf(b, ", \"at\": {");
        for (size_t i = 0; i < q->nvars; i++) {
            emitf(b, i ? ", " : "");
            json_str(b, q->vars[i]->name);
            emitf(b, ": ");
            json_num(b, q->at[i]);
        }
        emitf(b, "}, \"value\": ");
        json_num(b, q->value);
    }
    if (q->hessian) { /* the gradient, then the Hessian */
        emitf(b, ", \"derivatives\": [");
        for (size_t i = 0; i < q->nwrt; i++) {
            emitf(b, i ? ", {\"wrt\": " : "{\"wrt\": ");
            json_str(b, q->wrt[i]->name);
            emitf(b, ", \"order\": 1, \"expr\": ");
            json_expr(b, q->lower[i * q->nwrt]);
            if (q->have_at) {
                emitf(b, ", \"value\": ");
                json_num(b, q->gvalues[i]);
            }
            emitf(b, "}");
        }
        emitf(b, "], \"hessian\": [");
        for (size_t i = 0; i < q->nderivs; i++) {
            emitf(b, i % q->nwrt ? ", " : i ? "], [" : "[");
            json_entry(b, q, i, check);
        }
        emitf(b, "]]}\n");
        return;
    }
    emitf(b, ", \"derivatives\": [");
    for (size_t i = 0; q->order > 0 && i < q->nderivs; i++) {
        emitf(b, i ? ", " : "");
        json_entry(b, q, i, check);
    }
    emitf(b, "]}\n");
}

void report(Buf *b, const Query *q, Format fmt, int values_only, int check)
{
    if (values_only)
        values(b, q);
    else if (fmt == FMT_JSON)
        json(b, q, check);
    else
        human(b, q, check);
}
