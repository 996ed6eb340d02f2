/* util.c - the operation table, error values, the text buffer every printer
 * and the emitter write through, and number formatting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symgrad.h"

const OpInfo op_info[OP_COUNT] = {
#define OP(id, name, arity, kind, c, latex) {name, arity, KIND_##kind, c, latex},
#include "ops.def"
};

int op_find_func(const char *s, size_t len)
{
    if (len == 6 && !memcmp(s, "detach", 6))
        return OP_STOP;
    if (len == 3 && !memcmp(s, "pow", 3))
        return OP_POW;
    for (int i = 0; i < OP_COUNT; i++) {
        const char *name = op_info[i].name;
        if (op_info[i].kind == KIND_FUNC && strlen(name) == len &&
            !memcmp(name, s, len))
            return i;
    }
    return -1;
}

void *sg_realloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("symgrad: error: out of memory\n", stderr);
        abort();
    }
    return p;
}

void sg_error_set(SgError *err, int line, int col, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    err->line = line;
    err->col = col;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

static void buf_reserve(Buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        fputs("symgrad: error: out of memory\n", stderr);
        abort();
    }
    b->s = s;
    b->cap = cap;
}

void vemitf(Buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void emitf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemitf(b, fmt, ap);
    va_end(ap);
}

void buf_putc(Buf *b, char c)
{
    buf_reserve(b, 1);
    b->s[b->len++] = c;
    b->s[b->len] = 0;
}

void buf_free(Buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* Like Python's repr: the fewest significant digits that read back as v
 * (15, 16 or 17 suffice: fewer would be a prefix of the 15-digit form),
 * positional between 1e-4 and 1e16, else 1.5e-8 (no '+', no padding). */
void fmt_double(char *out, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(out, size, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, size, v < 0 ? "-inf" : "inf");
        return;
    }
    char e[40];
    int prec = 15;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    snprintf(e, sizeof e, "%.*e", prec - 1, v);
    /* e is [-]d.ddddde[+-]XX: strip the mantissa's trailing zeros */
    char *x = strchr(e, 'e');
    int exp10 = atoi(x + 1);
    char *m = x;
    while (m > e && m[-1] == '0')
        m--;
    if (m > e && m[-1] == '.')
        m--;
    *m = 0;
    char digits[40];
    size_t nd = 0;
    for (char *p = e; *p; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    digits[nd] = 0;
    const char *sign = v < 0 ? "-" : "";
    if (exp10 < -4 || exp10 >= 16) {
        snprintf(out, size, "%s%c%s%s%se%d", sign, digits[0], nd > 1 ? "." : "", digits + 1,
                 "", exp10);
    } else if (exp10 < 0) {
        snprintf(out, size, "%s0.%0*d%s", sign, -exp10 - 1, 0, digits);
        if (exp10 == -1) /* %0*d with width 0 still prints one 0 */
            snprintf(out, size, "%s0.%s", sign, digits);
    } else if ((size_t)exp10 + 1 >= nd) {
        snprintf(out, size, "%s%s%0*d", sign, digits, exp10 + 1 - (int)nd, 0);
        if ((size_t)exp10 + 1 == nd)
            snprintf(out, size, "%s%s", sign, digits);
    } else {
        snprintf(out, size, "%s%.*s.%s", sign, exp10 + 1, digits, digits + exp10 + 1);
    }
}
