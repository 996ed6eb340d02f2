/* lex.c - source text to tokens, each with its line and column. Rejects
 * bytes that are not text and malformed numbers at the exact column; hands
 * the parser a stream in which new lines inside brackets do not count. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

void lex_init(Lexer *lx, const char *src, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->src = lx->p = lx->line_start = src;
    lx->end = src + len;
    lx->line = 1;
}

const char *lex_kind_name(TokKind k)
{
    static const char *names[] = {
        "end of input", "end of line", "number", "name",
        "'+'", "'-'", "'*'", "'/'", "'^'", "'('", "')'",
        "'['", "']'", "','", "';'", "'='", "'?'", "':'",
        "'<'", "'<='", "'>'", "'>='", "'=='", "'!='", "'&&'", "'||'",
    };
    return names[k];
}

static int col_of(const Lexer *lx, const char *p) { return (int)(p - lx->line_start) + 1; }

/* Length of the valid UTF-8 sequence at p, or 0. */
static int utf8_len(const unsigned char *p, const unsigned char *end)
{
    int n = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
    if (!n || end - p < n)
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Skip blanks and comments; stops at a new line that counts. */
static int skip_space(Lexer *lx, SgError *err)
{
    for (;;) {
        const char *p = lx->p;
        if (p == lx->end)
            return 1;
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx->p++;
        } else if (c == '\n' && lx->depth > 0) {
            lx->p++;
            lx->line++;
            lx->line_start = lx->p;
        } else if (c == '#') {
            while (lx->p < lx->end && *lx->p != '\n') {
                unsigned char d = (unsigned char)*lx->p;
                int n = d >= 0x80 ? utf8_len((const unsigned char *)lx->p,
                                             (const unsigned char *)lx->end) : 1;
                if (!n || d == 0) {
                    sg_error_set(err, lx->line, col_of(lx, lx->p),
                                 "byte 0x%02x is not text", d);
                    return 0;
                }
                lx->p += n;
            }
        } else {
            return 1;
        }
    }
}

static int lex_number(Lexer *lx, Token *t, SgError *err)
{
    const char *p = lx->p;
    while (p < lx->end && isdigit((unsigned char)*p))
        p++;
    int integer = 1;
    if (p < lx->end && *p == '.') {
        integer = 0;
        p++;
        while (p < lx->end && isdigit((unsigned char)*p))
            p++;
    }
    if (p < lx->end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        if (q < lx->end && (*q == '+' || *q == '-'))
            q++;
        if (q == lx->end || !isdigit((unsigned char)*q)) {
            sg_error_set(err, lx->line, col_of(lx, lx->p),
                         "malformed number: exponent has no digits");
            return 0;
        }
        while (q < lx->end && isdigit((unsigned char)*q))
            q++;
        integer = 0;
        p = q;
    }
    if (p < lx->end && (isalnum((unsigned char)*p) || *p == '_' || *p == '.')) {
        sg_error_set(err, lx->line, col_of(lx, lx->p),
                     *p == '.' ? "malformed number: a second '.'"
                               : "malformed number: '%c' after the digits", *p);
        return 0;
    }
    char buf[512];
    size_t len = (size_t)(p - lx->p);
    if (len >= sizeof buf) {
        sg_error_set(err, lx->line, col_of(lx, lx->p), "number with more than %zu characters",
                     sizeof buf - 1);
        return 0;
    }
    memcpy(buf, lx->p, len);
    buf[len] = 0;
    errno = 0;
    t->num = strtod(buf, NULL);
    if (errno == ERANGE && isinf(t->num)) {
        sg_error_set(err, lx->line, col_of(lx, lx->p),
                     "number too large for a double (the largest is about 1.8e308)");
        return 0;
    }
    t->exact = 0;
    if (integer) {
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        if (!errno) {
            t->exact = 1;
            t->inum = v;
        }
    }
    t->kind = T_NUM;
    lx->p = p;
    return 1;
}

/* The operator at p: its kind and length, or 0 length. */
static TokKind lex_operator(const char *p, const char *end, size_t *len)
{
    char c = *p, d = p + 1 < end ? p[1] : 0;
    *len = 2;
    if (c == '*' && d == '*') return T_CARET;
    if (c == '<' && d == '=') return T_LE;
    if (c == '>' && d == '=') return T_GE;
    if (c == '=' && d == '=') return T_EQ;
    if (c == '!' && d == '=') return T_NE;
    if (c == '&' && d == '&') return T_AND;
    if (c == '|' && d == '|') return T_OR;
    *len = 1;
    switch (c) {
    case '+': return T_PLUS;
    case '-': return T_MINUS;
    case '*': return T_STAR;
    case '/': return T_SLASH;
    case '^': return T_CARET;
    case '(': return T_LPAREN;
    case ')': return T_RPAREN;
    case '[': return T_LBRACKET;
    case ']': return T_RBRACKET;
    case ',': return T_COMMA;
    case ';': return T_SEMI;
    case '=': return T_ASSIGN;
    case '?': return T_QUESTION;
    case ':': return T_COLON;
    case '<': return T_LT;
    case '>': return T_GT;
    case '\n': return T_NEWLINE;
    default: *len = 0; return T_EOF;
    }
}

int lex_next(Lexer *lx, Token *t, SgError *err)
{
    if (!skip_space(lx, err))
        return 0;
    memset(t, 0, sizeof *t);
    t->start = lx->p;
    t->line = lx->line;
    t->col = col_of(lx, lx->p);
    if (lx->p == lx->end) {
        t->kind = T_EOF;
        return 1;
    }
    unsigned char c = (unsigned char)*lx->p;
    if (isdigit(c) || (c == '.' && lx->p + 1 < lx->end && isdigit((unsigned char)lx->p[1]))) {
        if (!lex_number(lx, t, err))
            return 0;
    } else if (isalpha(c) || c == '_') {
        while (lx->p < lx->end && (isalnum((unsigned char)*lx->p) || *lx->p == '_'))
            lx->p++;
        t->kind = T_IDENT;
    } else {
        size_t len;
        t->kind = lex_operator(lx->p, lx->end, &len);
        if (!len) {
            int u = c >= 0x80 ? utf8_len((const unsigned char *)lx->p,
                                         (const unsigned char *)lx->end) : 0;
            if (u)
                sg_error_set(err, t->line, t->col,
                             "unexpected character '%.*s' (names are ASCII letters, digits "
                             "and _)", u, lx->p);
            else if (c < 0x20 || c >= 0x7f)
                sg_error_set(err, t->line, t->col, "byte 0x%02x is not text", c);
            else
                sg_error_set(err, t->line, t->col, "unexpected character '%c'", c);
            return 0;
        }
        lx->p += len;
        if (t->kind == T_LPAREN || t->kind == T_LBRACKET)
            lx->depth++;
        else if ((t->kind == T_RPAREN || t->kind == T_RBRACKET) && lx->depth > 0)
            lx->depth--;
        else if (t->kind == T_NEWLINE) {
            lx->line++;
            lx->line_start = lx->p;
        }
    }
    t->len = (size_t)(lx->p - t->start);
    return 1;
}
