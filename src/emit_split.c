/* emit_split.c - long function bodies as a run of functions of bounded
 * size. An optimising compiler's time grows faster than linearly in the
 * length of a straight-line function (its register allocation sees every
 * value live at once), so a body of more than SPLIT_ABOVE statements is cut
 * into static functions NAME_seg1, NAME_seg2, ... of SEG_STATEMENTS
 * statements each, that the function calls in order. A temporary computed
 * in one segment and read in a later one lives in an array sg_w on the
 * caller's stack (what a compiler would spill anyway), defined straight
 * into it; the segments read the parameters from in[] where they use them.
 * The statements and their order do not change, so the
 * values are the same to the bit. Works on the emitter's own text: its
 * temporaries are the tokens t<digits> (a variable of that form is renamed,
 * see emit_c_clash). */
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

#define SPLIT_ABOVE 1000
#define SEG_STATEMENTS 200

typedef struct {
    const char *s; /* the line, without its new line */
    size_t len;
} Line;

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static size_t indent_of(const Line *l)
{
    size_t i = 0;
    while (i < l->len && l->s[i] == ' ')
        i++;
    return i;
}

/* The temporary t<k> starting at p (a whole token), or 0. */
static long temp_at(const char *line, const char *p, const char *end)
{
    if (*p != 't' || (p > line && is_ident(p[-1])) || p + 1 >= end || p[1] < '0' || p[1] > '9')
        return 0;
    long k = 0;
    const char *q = p + 1;
    while (q < end && *q >= '0' && *q <= '9')
        k = k * 10 + (*q++ - '0');
    return q < end && is_ident(*q) ? 0 : k;
}

/* The temporary a top-level line defines ("const double t7 = ..." or
 * "double t7;"), or 0; *bare: declared without a value (a ?:'s result). */
static long defines(const Line *l, size_t ind, const char *real, int *bare)
{
    const char *p = l->s + ind, *end = l->s + l->len;
    size_t rl = strlen(real);
    *bare = 0;
    if ((size_t)(end - p) > 6 && !memcmp(p, "const ", 6))
        p += 6;
    else
        *bare = 1;
    if ((size_t)(end - p) <= rl + 1 || memcmp(p, real, rl) || p[rl] != ' ')
        return 0;
    long k = temp_at(l->s, p + rl + 1, end);
    if (k && *bare && end[-1] != ';')
        return 0;
    return k;
}

/* A line "const double NAME = in[K];" loading a parameter: NAME's length. */
static size_t loads(const Line *l, size_t ind, const char *real)
{
    char head[32];
    snprintf(head, sizeof head, "const %s ", real);
    size_t h = strlen(head);
    const char *p = l->s + ind, *end = l->s + l->len;
    if ((size_t)(end - p) <= h || memcmp(p, head, h))
        return 0;
    size_t n = 0;
    while (p + h + n < end && is_ident(p[h + n]))
        n++;
    return n && p + h + n + 7 < end && !memcmp(p + h + n, " = in[", 6) ? n : 0;
}

typedef struct {
    Line *lines;
    size_t n;
    size_t *group;  /* first line of each statement, then n */
    size_t ngroups;
    int *seg_of;    /* by temporary: the segment defining it (-1 none) */
    int *slot;      /* by temporary: index into sg_w[], or -1 */
    char *stored;   /* by temporary: defined straight into its sg_w[] slot */
    long ntemps;
    Line *params;   /* the parameter loads, by name (sorted) */
    size_t nparams;
    size_t ind;
    size_t head;    /* where a load's name starts: "const double " and the indent */
} Body;

static int line_cmp(const void *a, const void *b)
{
    const Line *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The load line of the parameter named p[0..n), or NULL. */
static const Line *param(const Body *b, const char *p, size_t n)
{
    size_t lo = 0, hi = b->nparams;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const Line *l = &b->params[mid];
        const char *name = l->s + b->head;
        size_t ln = strcspn(name, " ");
        int c = memcmp(name, p, ln < n ? ln : n);
        if (!c)
            c = (ln > n) - (ln < n);
        if (!c)
            return l;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Write one line: each temporary kept in sg_w[] (of an earlier segment, or
 * defined straight into it) read from there, each parameter read from in[].
 * A definition of a temporary kept in sg_w[] stores there instead. */
static void put_line(Buf *out, const Body *b, const Line *l, int seg, size_t shift, const char *real)
{
    const char *p = l->s + shift, *end = l->s + l->len;
    for (size_t i = 0; i < 4; i++)
        buf_putc(out, ' ');
    int bare;
    long d = defines(l, shift, real, &bare);
    if (d && b->stored[d])
        p += strlen("const ") + strlen(real) + 1;
    while (p < end) {
        long k = temp_at(l->s, p, end);
        if (k && k <= b->ntemps && b->slot[k] >= 0 && (b->seg_of[k] < seg || b->stored[k])) {
            emitf(out, "sg_w[%d]", b->slot[k]);
            p++;
            while (p < end && *p >= '0' && *p <= '9')
                p++;
            continue;
        }
        if (is_ident(*p) && !(*p >= '0' && *p <= '9') && (p == l->s || !is_ident(p[-1]))) {
            size_t n = 0;
            while (p + n < end && is_ident(p[n]))
                n++;
            const Line *pl = param(b, p, n);
            if (pl) { /* "const double x = in[K];": in[K] */
                const char *rhs = pl->s + b->head + n + 3;
                emitf(out, "%.*s", (int)(pl->s + pl->len - 1 - rhs), rhs);
            } else
                emitf(out, "%.*s", (int)n, p);
            p += n;
            continue;
        }
        buf_putc(out, *p++);
    }
    buf_putc(out, '\n');
}

/* The segments' range of statements. */
static size_t seg_first(size_t s) { return s * SEG_STATEMENTS; }

int emit_split(const char *body, int indent, const SplitSig *sig, Buf *segs, Buf *out)
{
    Body b = {.ind = (size_t)indent * 4};
    size_t cap = 256;
    b.head = strlen("const ") + strlen(sig->real) + 1 + b.ind;
    b.lines = sg_realloc(NULL, cap * sizeof *b.lines);
    for (const char *p = body; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (b.n == cap)
            b.lines = sg_realloc(b.lines, (cap *= 2) * sizeof *b.lines);
        b.lines[b.n++] = (Line){p, len};
        p += len + (nl != NULL);
    }
    /* statements: a top-level line and the block lines after it; the
     * parameter loads apart */
    b.group = sg_realloc(NULL, (b.n + 1) * sizeof *b.group);
    b.params = sg_realloc(NULL, (b.n + 1) * sizeof *b.params);
    Line *rest = sg_realloc(NULL, (b.n + 1) * sizeof *rest);
    size_t nrest = 0;
    int glue = 0; /* the last statement was a bare declaration: continue it */
    for (size_t i = 0; i < b.n; i++) {
        Line *l = &b.lines[i];
        int top = indent_of(l) == b.ind, bare;
        if (top && sig->from_in && loads(l, b.ind, sig->real)) {
            b.params[b.nparams++] = *l;
            continue;
        }
        if (top && l->s[b.ind] != '}' && !glue)
            b.group[b.ngroups++] = nrest;
        if (top && l->s[b.ind] != '}')
            glue = defines(l, b.ind, sig->real, &bare) && bare;
        rest[nrest++] = *l;
    }
    if (b.ngroups <= SPLIT_ABOVE) {
        free(b.lines), free(b.group), free(b.params), free(rest);
        return 0;
    }
    b.group[b.ngroups] = nrest;
    qsort(b.params, b.nparams, sizeof *b.params, line_cmp); /* by name: the text starts alike */
    size_t nseg = (b.ngroups + SEG_STATEMENTS - 1) / SEG_STATEMENTS;
    /* where each temporary is defined, and which are read in a later segment */
    size_t tcap = 256;
    b.seg_of = sg_realloc(NULL, tcap * sizeof *b.seg_of);
    b.slot = sg_realloc(NULL, tcap * sizeof *b.slot);
    b.seg_of[0] = b.slot[0] = -1;
    for (size_t s = 0; s < nseg; s++)
        for (size_t g = seg_first(s); g < b.ngroups && g < seg_first(s + 1); g++) {
            int bare;
            long k = defines(&rest[b.group[g]], b.ind, sig->real, &bare);
            if (k > b.ntemps) {
                if ((size_t)k >= tcap) { /* doubling: one statement at a time would be quadratic */
                    while ((size_t)k >= tcap)
                        tcap *= 2;
                    b.seg_of = sg_realloc(b.seg_of, tcap * sizeof *b.seg_of);
                    b.slot = sg_realloc(b.slot, tcap * sizeof *b.slot);
                }
                for (long j = b.ntemps + 1; j <= k; j++)
                    b.seg_of[j] = -1, b.slot[j] = -1;
                b.ntemps = k;
            }
            if (k)
                b.seg_of[k] = (int)s;
        }
    int nslots = 0;
    for (size_t s = 1; s < nseg; s++)
        for (size_t i = b.group[seg_first(s)], iend = b.group[seg_first(s + 1) < b.ngroups ? seg_first(s + 1) : b.ngroups]; i < iend; i++)
            for (const char *p = rest[i].s, *end = p + rest[i].len; p < end; p++) {
                long k = temp_at(rest[i].s, p, end);
                if (k && k <= b.ntemps && b.seg_of[k] >= 0 && b.seg_of[k] < (int)s && b.slot[k] < 0)
                    b.slot[k] = nslots++;
            }
    /* A temporary kept for a later segment is defined straight into sg_w[]
     * when its definition is one line (not a ?:'s declaration). */
    b.stored = calloc((size_t)b.ntemps + 1, 1);
    for (size_t g = 0; g < b.ngroups; g++) {
        int bare;
        long k = defines(&rest[b.group[g]], b.ind, sig->real, &bare);
        if (k && b.slot[k] >= 0 && !bare && b.group[g + 1] == b.group[g] + 1)
            b.stored[k] = 1;
    }
    /* the segments */
    for (size_t s = 0; s < nseg; s++) {
        size_t g0 = seg_first(s), g1 = seg_first(s + 1) < b.ngroups ? seg_first(s + 1) : b.ngroups;
        int last = s + 1 == nseg;
        int returns = last && sig->returns;
        emitf(segs, "static %s %s_seg%zu(%s%s%s *sg_w)\n{\n", returns ? sig->real : "void",
              sig->name, s + 1, sig->params, *sig->params ? ", " : "", sig->real);
        emitf(segs, "    %s(void)sg_w;\n", sig->voids);
        for (size_t g = g0; g < g1; g++) {
            for (size_t i = b.group[g]; i < b.group[g + 1]; i++)
                put_line(segs, &b, &rest[i], (int)s, b.ind, sig->real);
            int bare; /* a ?:'s result is stored after its block, the group's end */
            long k = defines(&rest[b.group[g]], b.ind, sig->real, &bare);
            if (k && b.slot[k] >= 0 && !b.stored[k])
                emitf(segs, "    sg_w[%d] = t%ld;\n", b.slot[k], k);
        }
        emitf(segs, "}\n\n");
    }
    /* the body that calls them */
    char pad[64];
    snprintf(pad, sizeof pad, "%*s", (int)b.ind, "");
    emitf(out, "%s%s sg_w[%d];\n", pad, sig->real, nslots ? nslots : 1);
    for (size_t s = 0; s < nseg; s++)
        emitf(out, "%s%s%s_seg%zu(%s%ssg_w);\n", pad, s + 1 == nseg && sig->returns ? "return " : "",
              sig->name, s + 1, sig->args, *sig->args ? ", " : "");
    free(b.lines), free(b.group), free(b.params), free(rest), free(b.seg_of), free(b.slot), free(b.stored);
    return 1;
}
