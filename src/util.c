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

/* Drop the zero padding C puts in exponents: 1e-08 -> 1e-8. */
static void tidy_exponent(char *s)
{
    char *e = strchr(s, 'e');
    if (!e)
        return;
    char *d = e + 1;
    if (*d == '+') /* 1e+20 -> 1e20 */
        memmove(d, d + 1, strlen(d));
    if (*d == '-')
        d++;
    char *z = d;
    while (*z == '0' && z[1])
        z++;
    if (z != d)
        memmove(d, z, strlen(z) + 1);
}

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
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    tidy_exponent(out);
}
