/* main.c - the symgrad command: options into a Query, the Query through the
 * library, the report to standard output. The only file that exits. */
#define _DEFAULT_SOURCE /* mkstemp, fdopen */
#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_internal.h"

static const char usage[] =
    "usage: symgrad [options] EXPR\n"
    "       symgrad [options] -f FILE      (FILE '-' reads standard input)\n"
    "\n"
    "Differentiate EXPR symbolically, simplify, print, and evaluate at a point.\n"
    "\n"
    "options:\n"
    "  --wrt VARS      comma list of variables (default: every free variable)\n"
    "  --order N       N-th derivative in each --wrt variable (default 1; 0 = the function)\n"
    "  --hessian       all second partials over --wrt\n"
    "  --at POINT      x=1,y=-2, or a bare number when there is one variable\n"
    "  --values        print only the numbers (%.17g), one line per --wrt variable\n"
    "                  (a Hessian: one row per line)\n"
    "  --format F      infix (default) | json | c (the source --emit-c writes)\n"
    "  --emit-c FILE   write FILE (C source) and its header beside it (.h)\n"
    "  --name NAME     function prefix for --emit-c / --format c (default: from FILE, or f)\n"
    "  --real T        double (default) | float: the emitted C's type\n"
    "  --templates DIR use DIR/header.h and DIR/source.c instead of the built-in templates\n"
    "  --data CSV      evaluate at every row of CSV ('-' = standard input; a header row\n"
    "                  names the variables); writes CSV: value, then each partial\n"
    "  --check         compare every derivative at --at with a finite difference;\n"
    "                  exit 1 when one disagrees\n"
    "  --mode M        auto (default) | forward | reverse: how a gradient is formed;\n"
    "                  auto takes reverse (one backward sweep, cost a small multiple of\n"
    "                  the function's) for more than 16 --wrt variables, else forward\n"
    "  --functions L   what --emit-c / --format c write, a comma list of value,\n"
    "                  partials, grad, batch, hess, hvp (default value,grad,batch;\n"
    "                  partials with at most 16 --wrt variables; hess with --hessian)\n"
    "  --hvp           also write NAME_hvp(in, v, out): the Hessian times v\n"
    "  -f FILE         read the expression or program from FILE\n"
    "  --max-depth N   refuse input nested deeper than N levels (default 10000;\n"
    "                  at most 200000)\n"
    "  --max-nodes N   stop when the graph passes N nodes (default 5000000; 0 = no limit)\n"
    "  --max-memory M  stop when the graph, or an expression's printed text, would\n"
    "                  pass M MiB (default 1024; 0 = no limit)\n"
    "  -h, --help      show this help\n"
    "  --version       show the version\n"
    "  --              end of options: symgrad --wrt x -- '-x^2'\n"
    "\n"
    "language: numbers, pi, e; ?: || && < <= > >= == != + - * / ^ (or **);\n"
    "  sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh exp log log2\n"
    "  log10 log1p expm1 sqrt cbrt abs sign floor ceil sigmoid softplus relu erf\n"
    "  erfc pow atan2 hypot min max clamp stop (alias detach);\n"
    "  programs: 'name = expr' lines or ';', '#' comments, def f(u) = ... [grad ...]\n"
    "\n"
    "example:\n"
    "  symgrad 'sin(x^2)' --wrt x --at 4\n"
    "\n"
    "exit status: 0 success, 1 a --check that failed, 2 a usage or input error\n";

typedef struct {
    const char *expr;   /* EXPR argument */
    const char *file;   /* -f FILE */
    const char *wrt;
    const char *at;
    const char *emit_c, *name, *templates, *data;
    int single; /* --real float */
    int order, hessian, values, check;
    int values_need_at; /* --values without --at: fine only for a constant */
    int order_given;
    Mode mode;          /* --mode */
    unsigned functions; /* --functions (FN_ bits; 0 = the default) */
    int hvp;            /* --hvp */
    Format format;
    SgLimits limits;    /* --max-depth, --max-nodes, --max-memory */
} Options;

static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("symgrad: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    exit(2);
}

/* The source line of an error and a caret under its column (a window of the
 * line when it is long). */
static void show_source(const char *src, size_t len, int line, int col)
{
    const char *p = src, *end = src + len;
    for (int l = 1; l < line && p < end; p++)
        if (*p == '\n')
            l++;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t llen = (size_t)((eol ? eol : end) - p), c = col > 0 ? (size_t)col - 1 : 0;
    if (c > llen)
        c = llen;
    size_t start = c > 60 ? c - 40 : 0, stop = start + 100 < llen ? start + 100 : llen;
    fputs(start ? "..." : "", stderr);
    for (size_t i = start; i < stop; i++) {
        unsigned char ch = (unsigned char)p[i];
        fputc(ch == '\t' || (ch >= 0x20 && ch < 0x7f) ? ch : '?', stderr);
    }
    fputs(start ? "\n   " : "\n", stderr);
    for (size_t i = start; i < c; i++)
        fputc(p[i] == '\t' ? '\t' : ' ', stderr);
    fputs("^\n", stderr);
}

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    for (size_t got; s && (got = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (cap - n - 1 == 0)
            s = sg_realloc(s, cap *= 2);
    }
    if (!s)
        die("out of memory reading the input");
    s[n] = 0;
    *len = n;
    return s;
}

/* The whole file at path, or die saying why it cannot be read. */
static char *read_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot read '%s': %s", path, strerror(errno));
    char *s = read_all(f, len);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        die("cannot read '%s': %s", path, strerror(errno));
    return s;
}

static char *read_source(const Options *o, size_t *len)
{
    if (!o->file) {
        *len = strlen(o->expr);
        char *s = malloc(*len + 1);
        memcpy(s, o->expr, *len + 1);
        return s;
    }
    if (!strcmp(o->file, "-"))
        return read_all(stdin, len);
    return read_path(o->file, len);
}

static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 1000)
        return 0;
    *out = (int)v;
    return 1;
}

/* A whole number from 0 to max for option name, or die. */
static size_t parse_size(const char *s, size_t max, const char *name)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || v > max)
        die("%s takes a whole number from 0 to %zu, not '%s'", name, max, s);
    return (size_t)v;
}

static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    const char *eq = strchr(argv[*i], '=');
    if (eq && !strncmp(argv[*i], name, (size_t)(eq - argv[*i])))
        return eq + 1;
    if (*i + 1 >= argc)
        die("%s needs a value (see symgrad --help)", name);
    return argv[++*i];
}

/* Is arg the option name, alone or as name=value? */
static int is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(arg, name, n) && (arg[n] == 0 || (arg[n] == '=' && name[1] == '-'));
}

static void set_expr(Options *o, const char *arg)
{
    if (o->expr || o->file)
        die("more than one expression: '%s' (quote the expression as one argument)", arg);
    o->expr = arg;
}

static int valid_name(const char *s, size_t n);

static int is_dir(const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* The deepest --max-depth allowed, and the stack each level may need: the
 * graph may be 4 levels deep per level of input, each walked by recursive
 * passes (ASan's frames are the largest). */
#define MAX_DEPTH_ALLOWED 200000
#define STACK_PER_LEVEL ((size_t)64 << 10)

/* --functions value,grad,... into FN_ bits, or die naming the bad item. */
static unsigned parse_functions(const char *list)
{
    unsigned bits = 0;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ","), k = 0;
        while (fn_names[k] && (strlen(fn_names[k]) != n || memcmp(fn_names[k], p, n)))
            k++;
        if (!fn_names[k])
            die("--functions: '%.*s' is not one of value, partials, grad, batch, hess, hvp",
                (int)n, p);
        bits |= 1u << k;
        if (!p[n])
            break;
        p += n + 1;
    }
    return bits;
}

static void parse_options(int argc, char **argv, Options *o)
{
    static const char *later[] = {"--steps", NULL};
    memset(o, 0, sizeof *o);
    o->order = 1;
    o->limits = (SgLimits){SG_DEFAULT_MAX_DEPTH, SG_DEFAULT_MAX_NODES, SG_DEFAULT_MAX_BYTES};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            for (i++; i < argc; i++)
                set_expr(o, argv[i]);
            break;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        } else if (!strcmp(a, "--version")) {
            printf("symgrad %s\n", SYMGRAD_VERSION);
            exit(0);
        } else if (is_opt(a, "--wrt")) {
            o->wrt = option_value(argc, argv, &i, "--wrt");
        } else if (is_opt(a, "--at")) {
            o->at = option_value(argc, argv, &i, "--at");
        } else if (is_opt(a, "--order")) {
            const char *v = option_value(argc, argv, &i, "--order");
            if (!parse_int(v, &o->order))
                die("--order takes a whole number from 0 to 1000, not '%s'", v);
            o->order_given = 1;
        } else if (is_opt(a, "--max-depth")) {
            const char *v = option_value(argc, argv, &i, "--max-depth");
            o->limits.max_depth = (int)parse_size(v, MAX_DEPTH_ALLOWED, "--max-depth");
            if (!o->limits.max_depth)
                die("--max-depth takes a whole number from 1 to %d, not '%s'",
                    MAX_DEPTH_ALLOWED, v);
        } else if (is_opt(a, "--max-nodes")) {
            o->limits.max_nodes = parse_size(option_value(argc, argv, &i, "--max-nodes"),
                                             UINT32_MAX - 1, "--max-nodes");
        } else if (is_opt(a, "--max-memory")) {
            o->limits.max_bytes = parse_size(option_value(argc, argv, &i, "--max-memory"),
                                             (size_t)1 << 24, "--max-memory") << 20;
        } else if (is_opt(a, "--format")) {
            const char *v = option_value(argc, argv, &i, "--format");
            if (!strcmp(v, "infix"))
                o->format = FMT_INFIX;
            else if (!strcmp(v, "json"))
                o->format = FMT_JSON;
            else if (!strcmp(v, "c"))
                o->format = FMT_C;
            else if (!strcmp(v, "latex") || !strcmp(v, "dot"))
                die("--format %s is not available in this version (infix, json, c)", v);
            else
                die("unknown format '%s' (infix, json, c)", v);
        } else if (is_opt(a, "--data")) {
            o->data = option_value(argc, argv, &i, "--data");
        } else if (is_opt(a, "--emit-c")) {
            o->emit_c = option_value(argc, argv, &i, "--emit-c");
            if (!*o->emit_c)
                die("--emit-c needs a file name");
            if (o->emit_c[strlen(o->emit_c) - 1] == '/' || is_dir(o->emit_c))
                die("--emit-c: '%s' is a directory; give a file name such as f.c", o->emit_c);
        } else if (is_opt(a, "--name")) {
            o->name = option_value(argc, argv, &i, "--name");
            if (!valid_name(o->name, strlen(o->name)))
                die("--name: '%s' is not a C identifier", o->name);
            if (emit_c_clash(o->name))
                die("--name: '%s' would clash with a name of C or <math.h>", o->name);
        } else if (is_opt(a, "--templates")) {
            o->templates = option_value(argc, argv, &i, "--templates");
        } else if (is_opt(a, "--real")) {
            const char *v = option_value(argc, argv, &i, "--real");
            if (strcmp(v, "double") && strcmp(v, "float"))
                die("--real takes double or float, not '%s'", v);
            o->single = !strcmp(v, "float");
        } else if (is_opt(a, "--mode")) {
            const char *v = option_value(argc, argv, &i, "--mode");
            if (!strcmp(v, "auto") || !strcmp(v, "forward") || !strcmp(v, "reverse"))
                o->mode = v[0] == 'a' ? MODE_AUTO : v[0] == 'f' ? MODE_FORWARD : MODE_REVERSE;
            else
                die("--mode takes auto, forward or reverse, not '%s'", v);
        } else if (is_opt(a, "--functions")) {
            o->functions = parse_functions(option_value(argc, argv, &i, "--functions"));
        } else if (!strcmp(a, "--hvp")) {
            o->hvp = 1;
        } else if (!strcmp(a, "--hessian")) {
            o->hessian = 1;
        } else if (!strcmp(a, "--values")) {
            o->values = 1;
        } else if (!strcmp(a, "--check")) {
            o->check = 1;
        } else if (!strcmp(a, "-f")) {
            if (i + 1 >= argc)
                die("-f needs a file name ('-' for standard input)");
            if (o->expr || o->file)
                die("-f and an expression argument: give one or the other");
            o->file = argv[++i];
        } else {
            for (int k = 0; later[k]; k++)
                if (is_opt(a, later[k]))
                    die("%s is not available in this version", later[k]);
            /* --word is a mistyped option; --cos(x) is an expression */
            if (a[0] == '-' && a[1] == '-' && isalpha((unsigned char)a[2]) &&
                a[2 + strspn(a + 2, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_=0123456789")] == 0)
                die("unknown option '%s' (see symgrad --help)", a);
            set_expr(o, a);
        }
    }
    if (!o->expr && !o->file)
        die("no expression given (try: symgrad 'sin(x^2)' --wrt x --at 4, or --help)");
    if (o->data && (o->at || o->hessian || o->check || o->format != FMT_INFIX || o->values))
        die("--data writes its own CSV: it goes without --at, --hessian, --check, --format "
            "and --values");
    if (o->data && o->file && !strcmp(o->file, "-") && !strcmp(o->data, "-"))
        die("-f - and --data - cannot both read standard input");
    if (o->check && !o->at)
        die("--check needs a point: add --at");
    if (o->hessian && o->order_given && o->order != 2)
        die("--hessian gives the second partials; --order %d does not go with it", o->order);
    if (o->values && o->format != FMT_INFIX)
        die("--values prints bare numbers; it does not go with --format");
    if ((o->functions & FN_HESS) && !o->hessian)
        die("--functions hess needs --hessian");
    if ((o->functions || o->hvp) && !o->emit_c && o->format != FMT_C)
        die("%s chooses what --emit-c or --format c writes; give one of them",
            o->hvp ? "--hvp" : "--functions");
    if (o->hvp && o->order != 1 && !o->hessian)
        die("--hvp is the Hessian times a vector; it goes with first derivatives, not --order %d",
            o->order);
    o->values_need_at = o->values && !o->at;
}

static int valid_name(const char *s, size_t n)
{
    if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/* --wrt x,y into variable nodes (default: every free variable). */
static void resolve_wrt(SgCtx *ctx, const Options *o, Query *q)
{
    if (!o->wrt) {
        q->wrt = malloc((q->nvars ? q->nvars : 1) * sizeof *q->wrt);
        memcpy(q->wrt, q->vars, q->nvars * sizeof *q->wrt);
        q->nwrt = q->nvars;
        return;
    }
    size_t cap = 8;
    q->wrt = malloc(cap * sizeof *q->wrt);
    for (const char *p = o->wrt;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && isspace((unsigned char)*p))
            p++, n--;
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        if (!valid_name(p, n) || op_find_func(p, n) >= 0 ||
            (n == 2 && !memcmp(p, "pi", 2)) || (n == 1 && *p == 'e'))
            die("--wrt: '%.*s' is not a variable name", (int)n, p);
        Expr *v = expr_var(ctx, p, n);
        for (size_t i = 0; i < q->nwrt; i++)
            if (q->wrt[i] == v)
                die("--wrt: '%.*s' is listed twice", (int)n, p);
        if (q->nwrt == cap)
            q->wrt = sg_realloc(q->wrt, (cap *= 2) * sizeof *q->wrt);
        q->wrt[q->nwrt++] = v;
        if (!comma)
            break;
        p = comma + 1;
    }
}

/* A vector or matrix value [1,2] or [[1,2],[3,4]] at p (for what): dies
 * saying what is malformed, or, when it is well formed, that vectors are
 * not supported yet. */
static _Noreturn void vector_value(const char *p, const char *what)
{
    const char *v = p;
    int depth = 0;
    while (*p) {
        if (*p == '[') {
            depth++, p++;
            if (*p == ']')
                die("--at: %s: '[]' has no elements", what);
            continue;
        }
        size_t n = strcspn(p, ",[]");
        if (n == 0 && *p != '[')
            die("--at: %s: an empty element in '%s'", what, v);
        if (n) {
            char buf[64], *end;
            snprintf(buf, sizeof buf, "%.*s", (int)(n < 63 ? n : 63), p);
            strtod(buf, &end);
            if (end == buf || *end || n >= 63)
                die("--at: %s: '%.*s' is not a number (in '%s')", what, (int)n, p, v);
            p += n;
        }
        while (*p == ']' && depth > 0)
            depth--, p++;
        if (!depth)
            break;
        if (*p != ',')
            die("--at: %s: '%s' has no closing ']'", what, v);
        p++;
        if (*p == ',' || *p == ']' || !*p)
            die("--at: %s: %s in '%s'", what, *p ? "an empty element" : "no closing ']'", v);
    }
    if (depth)
        die("--at: %s: '%s' has no closing ']'", what, v);
    if (*p && *p != ',')
        die("--at: %s: '%c' after the closing ']' in '%s'", what, *p, v);
    die("--at: %s: vector values are not supported yet; give each variable one number",
        what);
}

static double parse_number(const char *s, size_t n, const char *what)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        die("--at: %s needs a number", what);
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end)
        die("--at: '%s' is not a number (for %s)", buf, what);
    if (errno == ERANGE && isinf(v))
        die("--at: '%s' is out of the range of a double (for %s)", buf, what);
    return v;
}

/* --at x=1,y=2 (or a bare number for one variable) into q->at. */
static void resolve_at(const Options *o, Query *q)
{
    q->have_at = 1;
    q->at = calloc(q->nvars ? q->nvars : 1, sizeof *q->at);
    int *seen = calloc(q->nvars ? q->nvars : 1, sizeof *seen);
    const char *p = o->at;
    if (!strchr(p, '=')) {
        if (q->nvars != 1)
            die("--at: a bare number needs exactly one variable; the expression has %zu "
                "(write --at name=value,...)", q->nvars);
        if (*p == '[')
            vector_value(p, q->vars[0]->name);
        q->at[0] = parse_number(p, strlen(p), q->vars[0]->name);
        free(seen);
        return;
    }
    for (;;) {
        const char *comma = strchr(p, ','), *eq = strchr(p, '=');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!eq || (comma && eq > comma))
            die("--at: '%.*s' is not name=value", (int)n, p);
        size_t nn = (size_t)(eq - p);
        while (nn && isspace((unsigned char)p[nn - 1]))
            nn--;
        size_t k = 0;
        while (k < q->nvars && (strlen(q->vars[k]->name) != nn ||
                                memcmp(q->vars[k]->name, p, nn)))
            k++;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(nn < 100 ? nn : 100), p);
        if (eq[1] == '[')
            vector_value(eq + 1, name);
        double v = parse_number(eq + 1, (size_t)(p + n - eq - 1), name);
        if (k == q->nvars) {
            int is_wrt = 0;
            for (size_t i = 0; i < q->nwrt; i++)
                is_wrt |= !strcmp(q->wrt[i]->name, name);
            if (!is_wrt) /* x - x + y: the simplified expression lost x */
                fprintf(stderr, "symgrad: warning: --at: '%s' is not a variable of the "
                                "expression; its value is not used\n", name);
        } else {
            if (seen[k])
                die("--at: '%s' is given twice", name);
            seen[k] = 1;
            q->at[k] = v;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    for (size_t i = 0; i < q->nvars; i++)
        if (!seen[i])
            die("--at: no value for '%s'", q->vars[i]->name);
    free(seen);
}

/* Write text to path through a temporary beside it, with the permissions a
 * new file gets; returns the temporary's name (to rename into place once
 * every file is written) or dies, removing itself and other (a temporary
 * written before, or NULL). */
static char *write_temp(const char *path, const Buf *text, const char *other)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    mode_t mask = umask(0);
    umask(mask);
    FILE *f = fd < 0 || fchmod(fd, 0666 & ~mask) ? NULL : fdopen(fd, "wb");
    if (!f || fwrite(text->s, 1, text->len, f) != text->len || fclose(f)) {
        int e = errno;
        if (fd >= 0)
            unlink(tmp);
        if (other)
            unlink(other);
        die("cannot write '%s': %s", path, strerror(e));
    }
    return tmp;
}

/* f.c -> f.h; anything else gets .h appended. */
static char *header_path(const char *c_path)
{
    size_t n = strlen(c_path);
    char *h = malloc(n + 3);
    memcpy(h, c_path, n + 1);
    if (n > 2 && !strcmp(h + n - 2, ".c"))
        h[n - 1] = 'h';
    else
        strcat(h, ".h");
    return h;
}

/* The function prefix: --name, else the file's base name as an identifier. */
static void default_name(char *out, size_t size, const char *path)
{
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : path ? path : "f";
    size_t i = 0;
    for (; base[i] && base[i] != '.' && i + 1 < size; i++)
        out[i] = isalnum((unsigned char)base[i]) ? base[i] : '_';
    out[i] = 0;
    if (!i || isdigit((unsigned char)out[0]))
        snprintf(out, size, "f");
    else if (emit_c_clash(out) && i + 2 < size) /* exp.c: exp_ */
        out[i] = '_', out[i + 1] = 0;
}

/* --data: compile the emitted file and stream the CSV through NAME_batch. */
static int run_data(SgCtx *ctx, const Options *o, const Query *q)
{
    SgError err;
    FILE *in = strcmp(o->data, "-") ? fopen(o->data, "rb") : stdin; /* before the JIT's state */
    if (!in)
        die("cannot read '%s': %s", o->data, strerror(errno));
    Jit *jit = query_compile(ctx, q, &err);
    if (!jit)
        die("%s", err.msg);
    int ok = data_run(q, jit_symbol(jit, "sg_batch"), in, stdout,
                      in == stdin ? "<stdin>" : o->data, &err);
    if (in != stdin)
        fclose(in);
    jit_free(jit);
    if (!ok)
        die("%s", err.msg);
    return fflush(stdout) ? 2 : 0;
}

static void write_c(SgCtx *ctx, const Options *o, const Query *q)
{
    char name[128];
    if (o->name)
        snprintf(name, sizeof name, "%s", o->name);
    else
        default_name(name, sizeof name, o->emit_c);
    char *h_path = o->emit_c ? header_path(o->emit_c) : NULL;
    const char *h_base = h_path && strrchr(h_path, '/') ? strrchr(h_path, '/') + 1 : h_path;
    const char *c_base = o->emit_c && strrchr(o->emit_c, '/') ? strrchr(o->emit_c, '/') + 1
                                                              : o->emit_c;
    char c_default[140], h_default[140];
    snprintf(c_default, sizeof c_default, "%s.c", name);
    snprintf(h_default, sizeof h_default, "%s.h", name);
    CFile cf = {name, c_base ? c_base : c_default, h_base ? h_base : h_default, o->single,
                NULL, NULL};
    char *th = NULL, *tc = NULL;
    if (o->templates) {
        size_t n = strlen(o->templates) + 16;
        char *p = malloc(n);
        snprintf(p, n, "%s/header.h", o->templates);
        size_t len;
        cf.tmpl_h = th = read_path(p, &len);
        snprintf(p, n, "%s/source.c", o->templates);
        cf.tmpl_c = tc = read_path(p, &len);
        free(p);
    }
    Buf c = {0}, h = {0};
    SgError err;
    if (!emit_c_file(ctx, q, &cf, &c, &h, &err))
        die("%s", err.msg);
    if (!o->emit_c) {
        fwrite(c.s, 1, c.len, stdout);
    } else {
        char *tc_path = write_temp(o->emit_c, &c, NULL);
        char *th_path = write_temp(h_path, &h, tc_path);
        if (rename(tc_path, o->emit_c)) {
            int e = errno;
            unlink(tc_path);
            unlink(th_path);
            die("cannot write '%s': %s", o->emit_c, strerror(e));
        }
        if (rename(th_path, h_path)) { /* take back the half written */
            int e = errno;
            unlink(o->emit_c);
            unlink(th_path);
            die("cannot write '%s': %s", h_path, strerror(e));
        }
        free(tc_path);
        free(th_path);
    }
    buf_free(&c);
    buf_free(&h);
    free(th);
    free(tc);
    free(h_path);
}

/* One line on standard error for the first result shown that is nan or
 * infinite: which operation, at which point, e.g.
 *   symgrad: warning: log(-1) is outside its domain at x = -1 (value is nan) */
static void warn_not_finite(SgCtx *ctx, const Query *q)
{
    size_t k = 0;
    int is_value = q->want_value && !isfinite(q->value);
    while (!is_value && k < q->nderivs && isfinite(q->dvalues[k]))
        k++;
    if (!is_value && k == q->nderivs)
        return;
    Buf why = {0};
    double v = 0;
    Expr *e = is_value ? q->f : q->derivs[k];
    if (domain_explain(e, q->vars, q->at, q->nvars, sg_node_count(ctx), &why, &v)) {
        fputs("symgrad: warning: ", stderr);
        const char *x = is_value ? "" : q->wrt[k / (q->hessian ? q->nwrt : 1)]->name;
        const char *y = !is_value && q->hessian ? q->wrt[k % q->nwrt]->name : x;
        if (!is_value && q->hessian && strcmp(x, y))
            fprintf(stderr, "in d^2/d%sd%s, ", x, y);
        else if (!is_value && q->hessian)
            fprintf(stderr, "in d^2/d%s^2, ", x);
        else if (!is_value && q->order == 1)
            fprintf(stderr, "in d/d%s, ", x);
        else if (!is_value)
            fprintf(stderr, "in d^%d/d%s^%d, ", q->order, x, q->order);
        fputs(why.s, stderr);
        for (size_t i = 0; i < q->nvars; i++) {
            char num[40];
            fmt_double(num, sizeof num, q->at[i]);
            fprintf(stderr, "%s%s = %s", i ? ", " : " at ", q->vars[i]->name, num);
        }
        fprintf(stderr, " (value is %s)\n", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
    }
    buf_free(&why);
}

/* Stop before printing output whose text could pass --max-memory: a
 * derivative's shared parts are repeated wherever they are used, so a graph
 * of n nodes can print as n^2 characters (300,000 nested sines) or more. */
static void check_printable(SgCtx *ctx, const Options *o, const Query *q)
{
    size_t limit = o->limits.max_bytes;
    if (!limit)
        return;
    Expr **all = sg_realloc(NULL, (q->nderivs + 1) * sizeof *all);
    all[0] = q->f;
    memcpy(all + 1, q->derivs, q->nderivs * sizeof *all);
    size_t bound = expr_text_bound(ctx, all, q->nderivs + 1, limit);
    free(all);
    if (bound > limit)
        die("the output could pass %zu MiB of text, shared parts written out wherever "
            "they occur (the limit; raise it with --max-memory MIB, 0 for none); --at "
            "with --values evaluates it, --emit-c writes C that computes each part once",
            limit >> 20);
}

/* A limit passed while the graph grew: say which and how to raise it. */
static _Noreturn void limit_reached(SgLimitKind kind, size_t limit)
{
    switch (kind) {
    case SG_LIMIT_DEPTH:
        die("the expression graph is nested deeper than %zu levels (the limit is 4 x "
            "--max-depth; raise it with --max-depth N)", limit);
    case SG_LIMIT_NODES:
        die("the expression graph grew past %zu nodes (the limit; raise it with "
            "--max-nodes N, 0 for none)", limit);
    default:
        die("the expression graph grew past %zu MiB (the limit; raise it with "
            "--max-memory MIB, 0 for none)", limit >> 20);
    }
}

static int run(const Options *op)
{
    Options o = *op;
    size_t len;
    char *src = read_source(&o, &len);
    SgCtx *ctx = sg_new();
    sg_set_limits(ctx, &o.limits, limit_reached);
    sg_reserve(ctx, len / 2); /* a long sum: up to a node per 2 bytes, derivatives included */
    Program prog;
    SgError err;
    if (!parse_program(ctx, src, len, &prog, &err)) {
        const char *where = o.file && strcmp(o.file, "-") ? o.file : NULL;
        if (err.line) {
            fprintf(stderr, "symgrad: error: %s%s%d:%d: %s\n", where ? where : "",
                    where ? ":" : "", err.line, err.col, err.msg);
            show_source(src, len, err.line, err.col);
        } else {
            fprintf(stderr, "symgrad: error: %s\n", err.msg);
        }
        sg_free(ctx);
        free(src);
        return 2;
    }
    Query q = {.f = prog.out, .order = o.order, .hessian = o.hessian, .mode = o.mode};
    q.nvars = expr_free_vars(&q.f, 1, &q.vars);
    resolve_wrt(ctx, &o, &q);
    if (!q.nwrt) /* a constant: nothing to differentiate, show its value */
        q.order = 0, q.hessian = 0;
    if (o.data && q.order == 0) /* the value column only */
        q.nwrt = 0;
    if (o.functions || o.hvp) /* --hvp adds hvp to the default (or the list) */
        q.functions = (o.functions ? o.functions : query_functions(&q)) | (o.hvp ? FN_HVP : 0);
    query_derive(ctx, &q);
    query_widen_vars(&q);
    if (o.at)
        resolve_at(&o, &q);
    else if (!q.nvars) /* a constant has its value without a point */
        q.have_at = 1, q.at = calloc(1, sizeof *q.at);
    q.want_value = o.format == FMT_JSON || q.order == 0;
    if (o.values_need_at && !q.have_at)
        die("--values needs a point: add --at (the expression has %zu variable%s)", q.nvars,
            q.nvars == 1 ? "" : "s");
    /* before anything is compiled or written: a refusal leaves no file behind */
    int prints_exprs = !o.values && !o.data && o.format != FMT_C && !(o.emit_c && !o.at);
    if (prints_exprs)
        check_printable(ctx, &o, &q);
    if (q.have_at && !query_evaluate(ctx, &q, o.check, &err))
        die("%s", err.msg);
    if (q.have_at)
        warn_not_finite(ctx, &q);
    if (o.data) {
        int status = run_data(ctx, &o, &q);
        query_free(&q);
        sg_free(ctx);
        free(src);
        return status;
    }
    if (o.emit_c || o.format == FMT_C) {
        write_c(ctx, &o, &q);
        if (o.format == FMT_C || !o.at) {
            query_free(&q);
            sg_free(ctx);
            free(src);
            return 0;
        }
    }
    Buf out = {0};
    report(&out, &q, o.format, o.values, o.check);
    fwrite(out.s, 1, out.len, stdout);
    int failed = 0;
    for (size_t i = 0; o.check && i < q.nderivs; i++)
        failed |= !q.check_ok[i];
    buf_free(&out);
    query_free(&q);
    sg_free(ctx);
    free(src);
    return failed ? 1 : 0;
}

typedef struct {
    const Options *o;
    int status;
} Job;

static void *run_job(void *p)
{
    Job *job = p;
    job->status = run(job->o);
    return NULL;
}

/* The pipeline recurses on the nesting of the user's expression, which the
 * graph's depth limit (4 x --max-depth) bounds; it runs on a thread with a
 * stack big enough for that bound. Untouched stack pages cost nothing. */
int main(int argc, char **argv)
{
    Options o;
    parse_options(argc, argv, &o);
    Job job = {&o, 2};
    mallopt(M_ARENA_MAX, 1); /* one thread works at a time: no second malloc heap */
    /* keep freed memory: the simplifier's large temporaries would otherwise
     * go back to the kernel and fault in again, many times over */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    size_t stack = (size_t)o.limits.max_depth * STACK_PER_LEVEL;
    if (stack < (size_t)1 << 30)
        stack = (size_t)1 << 30;
    pthread_attr_t attr;
    pthread_t t;
    if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, stack) ||
        pthread_create(&t, &attr, run_job, &job))
        die("cannot start a worker thread with a %zu MiB stack (lower --max-depth)",
            stack >> 20);
    pthread_join(t, NULL);
    return job.status;
}
