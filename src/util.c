/* util.c - the operation table, error values, the text buffer every printer
 * and the emitter write through, and number formatting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

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

static void buf_append(Buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

/* The decimal digits of u, after a '-' when negative. */
static void buf_put_digits(Buf *b, unsigned long long u, int negative)
{
    char d[24], *p = d + sizeof d;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (negative)
        *--p = '-';
    buf_append(b, p, (size_t)(d + sizeof d - p));
}

static void buf_put_int(Buf *b, long long v)
{
    buf_put_digits(b, v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v, v < 0);
}

typedef union {
    double f;
    const char *s;
    long long l;
    int i;
} Arg;

/* snprintf of one conversion whose arguments were already taken */
static int fmt_one(char *out, size_t size, const char *one, int nstar, const int *star,
                   char kind, Arg v)
{
#define SG_FMT1(x)                                                                   \
    (nstar == 2 ? snprintf(out, size, one, star[0], star[1], x)                      \
     : nstar    ? snprintf(out, size, one, star[0], x)                               \
                : snprintf(out, size, one, x))
    switch (kind) {
    case 'f': return SG_FMT1(v.f);
    case 's': return SG_FMT1(v.s);
    case 'l': return SG_FMT1(v.l);
    default: return SG_FMT1(v.i);
    }
#undef SG_FMT1
}

/* The conversions the printers use most (%s %c %d %u %lld %zu %%) are
 * appended directly: the printers call this for every token of output.
 * Anything else goes through vsnprintf, one conversion at a time. */
void vemitf(Buf *b, const char *fmt, va_list ap)
{
    for (const char *f = fmt; *f;) {
        const char *pct = strchr(f, '%');
        if (!pct) {
            buf_append(b, f, strlen(f));
            return;
        }
        if (pct > f)
            buf_append(b, f, (size_t)(pct - f));
        f = pct + 1;
        if (*f == 's') {
            const char *s = va_arg(ap, const char *);
            buf_append(b, s, strlen(s));
        } else if (*f == 'c') {
            buf_putc(b, (char)va_arg(ap, int));
        } else if (*f == 'd') {
            buf_put_int(b, va_arg(ap, int));
        } else if (*f == 'u') {
            buf_put_digits(b, va_arg(ap, unsigned), 0);
        } else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'd') {
            buf_put_int(b, va_arg(ap, long long));
            f += 2;
        } else if (f[0] == 'z' && f[1] == 'u') {
            buf_put_digits(b, va_arg(ap, size_t), 0);
            f++;
        } else if (*f == '%') {
            buf_putc(b, '%');
        } else {
            /* one whole conversion: flags, width, precision, length, type;
             * its arguments are taken here, so ap stays ours */
            const char *end = f + strspn(f, "-+ #0123456789.*hlLqjzt");
            char one[32];
            size_t len = (size_t)(end - pct) + 1;
            if (!*end || len >= sizeof one)
                return;
            memcpy(one, pct, len);
            one[len] = 0;
            int star[2] = {0, 0}, nstar = 0;
            for (const char *c = f; c < end; c++)
                if (*c == '*' && nstar < 2)
                    star[nstar++] = va_arg(ap, int);
            int longs = 0;
            for (const char *c = f; c < end; c++)
                longs += *c == 'l' || *c == 'z' || *c == 'j' || *c == 't';
            Arg v;
            char kind = strchr("eEfFgGaA", *end) ? 'f' : *end == 's' ? 's' : longs ? 'l' : 'i';
            if (kind == 'f')
                v.f = va_arg(ap, double);
            else if (kind == 's')
                v.s = va_arg(ap, const char *);
            else if (kind == 'l')
                v.l = va_arg(ap, long long);
            else
                v.i = va_arg(ap, int);
            char tmp[256];
            int n = fmt_one(tmp, sizeof tmp, one, nstar, star, kind, v);
            if (n < 0)
                return;
            if ((size_t)n < sizeof tmp) {
                buf_append(b, tmp, (size_t)n);
            } else {
                buf_reserve(b, (size_t)n);
                fmt_one(b->s + b->len, (size_t)n + 1, one, nstar, star, kind, v);
                b->len += (size_t)n;
            }
            f = end;
        }
        f++;
    }
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
    if (fabs(v) < 1e15 && v == (double)(long long)v) { /* the common case: an integer */
        snprintf(out, size, "%lld", (long long)v);
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
