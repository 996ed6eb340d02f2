/* sg_internal.h - the libsymgrad internals (the public API is include/symgrad.h).
 *
 * Data flows lex -> parse -> expr (the hash-consed graph, kept canonical by
 * simplify) -> deriv -> print_* / emit_c -> jit. Every node belongs to an
 * SgCtx and is freed with it. Library functions report failure through an
 * SgError and never exit; only main.c decides what to do with an error.
 */
#ifndef SG_INTERNAL_H
#define SG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SYMGRAD_VERSION "0.1.0"

/* ---- the table of operations (ops.def) ---------------------------------- */

typedef enum {
#define OP(id, name, arity, kind, c, latex) OP_##id,
#include "ops.def"
    OP_COUNT
} Op;

typedef enum { KIND_LEAF, KIND_ARITH, KIND_FUNC, KIND_CMP, KIND_USER } OpKind;

typedef struct {
    const char *name;  /* spelling in the language */
    int arity;         /* argument count, -1 for n-ary */
    OpKind kind;
    const char *c;     /* C spelling (FUNC) */
    const char *latex; /* LaTeX spelling (FUNC) */
} OpInfo;

extern const OpInfo op_info[OP_COUNT];

/* The function (kind FUNC) spelled s[0..len), or -1. Knows the aliases
 * detach (stop) and pow (the ^ operator). */
int op_find_func(const char *s, size_t len);

/* ---- errors and text buffers -------------------------------------------- */

typedef struct {
    int line, col; /* 1-based position in the source; 0 when none applies */
    char msg[512];
} SgError;

/* realloc that ends the process with a message when memory runs out. */
void *sg_realloc(void *p, size_t n);

void sg_error_set(SgError *err, int line, int col, const char *fmt, ...);

/* A growing string; all generated text goes through emitf(). */
typedef struct {
    char *s;
    size_t len, cap;
} Buf;

void emitf(Buf *b, const char *fmt, ...);
void vemitf(Buf *b, const char *fmt, va_list ap);
void buf_putc(Buf *b, char c);
void buf_free(Buf *b);

/* Shortest text that reads back as the same double ("0.1", "1e-8", "-inf"). */
void fmt_double(char *out, size_t size, double v);

/* ---- the expression graph (expr.c, simplify.c) -------------------------- */

typedef struct SgCtx SgCtx;
typedef struct Expr Expr;
typedef struct UserFn UserFn;

struct Expr {
    uint8_t op;        /* Op */
    uint8_t exact;     /* OP_NUM: the value is exactly the rational p/q */
    uint32_t n;        /* number of arguments */
    uint32_t hash;     /* structural hash: equal structure, equal hash */
    uint32_t id;       /* creation order in the context, 0-based */
    uint32_t depth;    /* 1 for a leaf, else 1 + the deepest argument */
    uint32_t mark;     /* scratch for whole-graph walks (expr_free_vars) */
    uint64_t vars;     /* bit hash(name) % 64 of each variable below: 0 = constant */
    union {            /* by op */
        double num;        /* OP_NUM, OP_PI, OP_E: the value */
        const char *name;  /* OP_VAR: interned name */
        const UserFn *fn;  /* OP_CALL: the definition called */
    };
    /* the arguments; an OP_NUM, which has none, keeps its rational here
     * (read with expr_p, expr_q), so other nodes carry no room for it */
    Expr *args[];      /* OP_CALL: args[0] is the value, then the actuals */
};

/* OP_NUM: when exact, the value is p/q in lowest terms, q > 0; else 0/1.
 * (memcpy: the words are args' storage; it compiles to one load.) */
static inline int64_t expr_p(const Expr *e)
{
    int64_t p;
    memcpy(&p, e->args, sizeof p);
    return p;
}
static inline int64_t expr_q(const Expr *e)
{
    int64_t q;
    memcpy(&q, (const char *)e->args + sizeof q, sizeof q);
    return q;
}

/* A user function `def f(params) = body [grad d1 | grad (d1, ...)]`. */
struct UserFn {
    const char *name;
    int nparams;
    Expr **params; /* OP_VAR nodes */
    Expr *body;
    Expr **grad;   /* one partial per parameter, or NULL: differentiate body */
};

SgCtx *sg_new(void);
void sg_free(SgCtx *ctx);
size_t sg_node_count(const SgCtx *ctx);
/* A hint: the graph will hold about `nodes` nodes (spares rehashing). */
void sg_reserve(SgCtx *ctx, size_t nodes);

/* How large a context's graph may grow (0 = no limit). A new context has
 * the defaults below. */
typedef struct {
    int max_depth;    /* nesting of parsed input, and of the graph: 4x this */
    size_t max_nodes; /* nodes in the graph */
    size_t max_bytes; /* bytes in the arena the nodes live in */
} SgLimits;

#define SG_DEFAULT_MAX_DEPTH 10000
#define SG_DEFAULT_MAX_NODES ((size_t)5000000)
#define SG_DEFAULT_MAX_BYTES ((size_t)1024 << 20)

typedef enum { SG_LIMIT_DEPTH, SG_LIMIT_NODES, SG_LIMIT_BYTES } SgLimitKind;

/* Called when a limit is passed while a node is built; must not return
 * (main.c reports the limit and exits). Without one the process aborts with
 * a message, as it does when memory runs out. */
typedef void (*SgLimitHandler)(SgLimitKind kind, size_t limit);

void sg_set_limits(SgCtx *ctx, const SgLimits *lim, SgLimitHandler on_limit);
const SgLimits *sg_limits(const SgCtx *ctx);

/* Allocate n bytes that live as long as the context. */
void *sg_alloc(SgCtx *ctx, size_t n);

/* Every constructor returns the canonical, interned node: structurally equal
 * expressions are the same pointer. */
Expr *expr_num(SgCtx *ctx, double v);           /* inexact (float) number */
Expr *expr_int(SgCtx *ctx, int64_t v);
Expr *expr_rat(SgCtx *ctx, int64_t p, int64_t q);
Expr *expr_var(SgCtx *ctx, const char *name, size_t len);
Expr *expr_constant(SgCtx *ctx, Op op);             /* OP_PI, OP_E */
Expr *expr_add(SgCtx *ctx, Expr *a, Expr *b);
Expr *expr_sub(SgCtx *ctx, Expr *a, Expr *b);
Expr *expr_mul(SgCtx *ctx, Expr *a, Expr *b);
Expr *expr_div(SgCtx *ctx, Expr *a, Expr *b);
Expr *expr_neg(SgCtx *ctx, Expr *a);
Expr *expr_pow(SgCtx *ctx, Expr *base, Expr *exp);
Expr *expr_add_n(SgCtx *ctx, Expr **terms, size_t n);
Expr *expr_mul_n(SgCtx *ctx, Expr **factors, size_t n);
/* A function, comparison, logic operator or select (c ? a : b). */
Expr *expr_call(SgCtx *ctx, Op op, Expr **args, size_t n);
Expr *expr_call1(SgCtx *ctx, Op op, Expr *a);
Expr *expr_call2(SgCtx *ctx, Op op, Expr *a, Expr *b);
/* A call of a user function with a custom gradient. */
Expr *expr_user(SgCtx *ctx, const UserFn *fn, Expr **args);
/* e with each vars[i] replaced by vals[i]. */
Expr *expr_subst(SgCtx *ctx, Expr *e, Expr **vars, Expr **vals, size_t n);

/* The raw interning constructor; simplify.c calls it once a node is
 * canonical. Nobody else should. */
Expr *expr_intern(SgCtx *ctx, Op op, Expr **args, size_t n, double num,
                  int exact, int64_t p, int64_t q, const char *name,
                  const UserFn *fn);

static inline int expr_is_num(const Expr *e) { return e->op == OP_NUM; }
int expr_is_int(const Expr *e);
int expr_is_zero(const Expr *e);
int expr_is_one(const Expr *e);
/* Rebuild e's operation over new arguments through the canonical
 * constructors (used by substitution and the simplifier). */
Expr *expr_rebuild(SgCtx *ctx, const Expr *e, Expr **args);

/* Total order used to keep sums and products canonical (simplify.c). */
int expr_cmp(const Expr *a, const Expr *b);

/* The free variables under roots, sorted by name, in a malloc'd array. */
size_t expr_free_vars(Expr **roots, size_t nroots, Expr ***out);

/* A hash map from a pair of nodes (or one node and NULL) to a node, used for
 * memo tables. */
typedef struct {
    uint64_t *keys; /* 0 = empty slot */
    Expr **vals;
    size_t cap, len;
} Map;

uint64_t map_key(const Expr *a, const Expr *b);
Expr *map_get(const Map *m, uint64_t key);
void map_put(Map *m, uint64_t key, Expr *val);
/* The value's slot for key, added (NULL) when absent; valid until the next
 * insertion. */
Expr **map_slot(Map *m, uint64_t key);
void map_free(Map *m);

/* The memo slot for d e / d var: NULL until deriv() fills it. */
Expr **sg_deriv_slot(SgCtx *ctx, const Expr *e, const Expr *var);

/* A direction to differentiate along: deriv(ctx, e, dir) is then the
 * derivative of e along tangents[i] for each vars[i] (forward mode in many
 * variables at once: a Hessian-vector product is deriv of a gradient along
 * v). dir is a fresh variable node no program can name; a new direction
 * ends the last one. */
Expr *sg_direction(SgCtx *ctx, Expr **vars, Expr **tangents, size_t n);
/* d v / d dir for a variable v: its tangent (0 when it has none), or NULL
 * when dir is not the context's direction. */
Expr *sg_direction_leaf(SgCtx *ctx, const Expr *dir, const Expr *v);

/* ---- front end (lex.c, parse.c) ----------------------------------------- */

typedef enum {
    T_EOF, T_NEWLINE, T_NUM, T_IDENT,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_CARET, T_LPAREN, T_RPAREN,
    T_LBRACKET, T_RBRACKET, T_COMMA, T_SEMI, T_ASSIGN, T_QUESTION, T_COLON,
    T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE, T_AND, T_OR
} TokKind;

typedef struct {
    TokKind kind;
    const char *start; /* the token's text in the source */
    size_t len;
    int line, col;     /* 1-based */
    double num;        /* T_NUM: the value */
    int exact;         /* T_NUM: an integer literal that fits in int64 */
    int64_t inum;      /* T_NUM when exact */
} Token;

typedef struct {
    const char *src, *end, *p;
    int line;
    const char *line_start;
    int depth; /* open ( and [: new lines inside them are spaces */
} Lexer;

void lex_init(Lexer *lx, const char *src, size_t len);
/* The next token; 0 and err on malformed input. */
int lex_next(Lexer *lx, Token *t, SgError *err);
const char *lex_kind_name(TokKind k);

typedef struct {
    Expr *out;          /* the program's result */
    const char *source; /* the text parsed (not owned) */
} Program;

/* Parse a program. On failure returns 0 and fills err with the position. */
int parse_program(SgCtx *ctx, const char *src, size_t len, Program *prog,
                  SgError *err);

/* ---- differentiation (deriv.c) ------------------------------------------ */

/* d e / d var, memoised per (node, var) in the context; var may be a
 * direction (sg_direction). */
Expr *deriv(SgCtx *ctx, Expr *e, Expr *var);
/* f'(u) for a one-argument function f (sin -> cos(u)). */
Expr *deriv_unary(SgCtx *ctx, Op op, Expr *u);
/* others[i] = seed times the product of every f[j] but f[i], for each i
 * with need[i] not 0 (else 0): prefix and suffix products (the seed in the
 * suffix) held whole (OP_HOLD), so all of them together cost O(n) nodes. */
void deriv_others(SgCtx *ctx, Expr **f, size_t n, Expr *const *need, Expr *seed, Expr **others);

/* ---- reverse mode (reverse.c) -------------------------------------------- */

/* The gradient of f in wrt[0..n) by one reverse (adjoint) sweep over f's
 * graph, each node visited once: grad[i] = d f / d wrt[i], built as nodes
 * (adjoints used more than once, and long partial products, held whole), so
 * printing, --emit-c and the JIT take it like any derivative. The same
 * conventions as deriv: custom grads, stop, ?: (the branch not taken is not
 * evaluated: its adjoints are guarded by the same condition), ties. */
void reverse_grad(SgCtx *ctx, Expr *f, Expr **wrt, size_t n, Expr **grad);

/* ---- output (print_infix.c, print_json.c) ------------------------------- */

void print_infix(Buf *b, const Expr *e);
char *expr_to_string(const Expr *e); /* malloc'd infix text */
/* An upper bound on the length of the roots' infix text, all together, or
 * limit + 1 when that passes limit (limit < SIZE_MAX). The text repeats a
 * shared subexpression wherever it is used, so a graph of n nodes can print
 * as n^2 characters, or 2^n: check before printing a derivative. Linear in
 * the graph. */
size_t expr_text_bound(SgCtx *ctx, Expr *const *roots, size_t nroots, size_t limit);

/* ---- evaluation (eval.c, emit_c.c, jit.c) ------------------------------- */

/* The value of op applied to numeric arguments, as the emitted C computes it. */
double eval_op(Op op, const double *a);

/* Interpret e with vars[i] = vals[i] (a reference path beside the JIT). */
double eval_expr(Expr *e, Expr **vars, const double *vals, size_t nvars);

/* Why e is not finite with vars[i] = vals[i] (domain.c): writes to why the
 * first operation, in evaluation order, that made a value nan or infinite
 * from finite arguments ("log(-1) is outside its domain", "1/0 is a pole",
 * "exp(1000) overflows") and its value; 0 when e is finite or nothing is to
 * blame. id_bound is above every node id (sg_node_count). */
int domain_explain(const Expr *e, Expr **vars, const double *vals, size_t nvars,
                   size_t id_bound, Buf *why, double *value);

/* What the emitter writes: outputs[i] as functions of params. */
typedef struct {
    const char *name;      /* function prefix, a C identifier */
    Expr **params;         /* OP_VAR nodes in parameter order */
    size_t nparams;
    Expr **outputs;        /* values to compute */
    size_t noutputs;
    size_t id_bound;       /* above every node id (sg_node_count), or 0: find it */
    SgCtx *ctx;            /* the graph's context, or NULL (less sharing of powers) */
} EmitSpec;

/* Write a C translation unit defining
 *   void NAME_eval(const double *in, double *out)
 * that computes every output from in[] (parameter order) with each shared
 * subexpression computed once. */
void emit_c_eval(Buf *b, const EmitSpec *spec);

/* A C identifier for a variable name (name_ when it would clash with C);
 * distinct names give distinct identifiers. */
void emit_c_ident(char *out, size_t size, const char *name);
/* Would name clash with C, libm or the emitter's own names? */
int emit_c_clash(const char *name);

/* A generated .c/.h pair (emit_c.c). */
typedef struct {
    const char *name;      /* function prefix, a C identifier */
    const char *c_name;    /* file names, for the comments */
    const char *h_name;
    int single;            /* float instead of double */
    const char *tmpl_h;    /* template texts (NULL: the built-in ones) */
    const char *tmpl_c;
} CFile;

/* A function whose body emit_split may cut into segments. */
typedef struct {
    const char *name;   /* the function's name: segments are NAME_seg1, ... */
    const char *params; /* its parameter list ("const double *in, double *grad"; "" for none) */
    const char *args;   /* the same as arguments ("in, grad") */
    const char *voids;  /* "(void)in; (void)grad; ": a segment may not read them all */
    const char *real;   /* "double" or "float" */
    int from_in;        /* the body loads parameters from in[] ("const double x = in[0];") */
    int returns;        /* the body ends in return (the last segment returns the value) */
} SplitSig;

/* A body (emitted statements at 4 * indent spaces) longer than a compiler
 * digests in linear time, as static functions NAME_seg1.. written to segs
 * and the statements calling them written to out: returns 1. Returns 0,
 * writing nothing, when the body is short enough as it is. */
int emit_split(const char *body, int indent, const SplitSig *sig, Buf *segs, Buf *out);

typedef struct Query Query;
/* Write the source and header for q: NAME(params), NAME_d<var> per wrt
 * variable, NAME_grad, NAME_batch, and NAME_hess with a Hessian. 0 and err
 * when a template is malformed. h may be NULL: the source only. */
int emit_c_file(SgCtx *ctx, const Query *q, const CFile *cf, Buf *c, Buf *h, SgError *err);

typedef struct Jit Jit;
/* Compile C source in memory. NULL and err on failure (compiler messages are
 * captured into err, never printed). */
Jit *jit_compile(const char *src, SgError *err);
void *jit_symbol(Jit *j, const char *name);
void jit_free(Jit *j);

/* ---- a whole query (query.c) and its report (report.c) ------------------ */

typedef enum { FMT_INFIX, FMT_JSON, FMT_C } Format;

/* How a gradient is formed: by rule one partial at a time (forward), or by
 * one reverse sweep (reverse.c). Auto: reverse for more than
 * REVERSE_MIN_WRT - 1 variables, at first and second order. */
typedef enum { MODE_AUTO, MODE_FORWARD, MODE_REVERSE } Mode;
#define REVERSE_MIN_WRT 17

/* What an emitted file holds (--functions): bits. */
enum {
    FN_VALUE = 1,    /* NAME(params) */
    FN_PARTIALS = 2, /* NAME_d<var>(params), one per --wrt variable */
    FN_GRAD = 4,     /* NAME_grad(in, grad) */
    FN_BATCH = 8,    /* NAME_batch(n, in, out) */
    FN_HESS = 16,    /* NAME_hess(in, hess) */
    FN_HVP = 32,     /* NAME_hvp(in, v, out) */
};
/* Partial functions come by default up to this many --wrt variables. */
#define PARTIALS_MAX_WRT 16
/* The names of the FN_ bits, in bit order, for --functions. */
extern const char *const fn_names[];

struct Query {
    /* what was asked */
    Expr *f;             /* the function */
    Expr **vars;         /* its free variables, alphabetical (malloc'd) */
    size_t nvars;
    Expr **wrt;          /* differentiate in these (malloc'd) */
    size_t nwrt;
    int order;           /* N-th derivative in each wrt variable */
    int hessian;         /* all second partials instead */
    Mode mode;           /* how to form the gradient (--mode) */
    unsigned functions;  /* FN_ bits the emitted file holds; 0: query_functions' default */
    /* what was found */
    Expr **derivs;       /* order: one per wrt; hessian: nwrt*nwrt row-major */
    Expr **lower;        /* derivs[i] is d(lower[i]) / d(lower_wrt[i]) */
    Expr **lower_wrt;
    size_t nderivs;
    int reverse;         /* the first partials came from a reverse sweep */
    Expr **hvp;          /* FN_HVP: the Hessian times tangents[], one per wrt */
    Expr **tangents;     /* FN_HVP: the vector v, one variable node per wrt */
    /* values, when a point is given */
    int have_at;
    int want_value;      /* compute f itself at the point too */
    double *at;          /* value of each of vars */
    double value;        /* f at the point */
    double *dvalues;     /* each derivative at the point */
    double *gvalues;     /* hessian: the first partials at the point */
    int *check_ok;       /* --check: per derivative */
    double *check_fd;    /* --check: the finite difference */
};

/* Differentiate q->f as q->wrt/order/hessian ask; fills derivs. */
void query_derive(SgCtx *ctx, Query *q);
/* What the emitted file of q holds: q->functions, or the default
 * value,grad,batch, with partials up to PARTIALS_MAX_WRT variables and hess
 * with a Hessian. */
unsigned query_functions(const Query *q);
/* A custom grad may name a variable f does not use: make q->vars (malloc'd)
 * the free variables of f and of every derivative, before a point is read. */
void query_widen_vars(Query *q);
/* The C file of q, exactly as `--emit-c` writes it with --name sg (so its
 * functions are sg, sg_d<var>, sg_grad, sg_batch, sg_hess), compiled in
 * memory. NULL and err on failure. */
Jit *query_compile(SgCtx *ctx, const Query *q, SgError *err);
/* Evaluate f and the derivatives at q->at through query_compile's sg_batch
 * (and sg_hess); with check also compare each derivative with a central
 * finite difference of the order below. */
int query_evaluate(SgCtx *ctx, Query *q, int check, SgError *err);
void query_free(Query *q);

/* Print the result for people (infix), for programs (json), or only the
 * numbers (values_only). */
void report(Buf *b, const Query *q, Format fmt, int values_only, int check);

/* ---- many points (data.c) ------------------------------------------------ */

/* Evaluate q at every row of a CSV whose header names the variables, through
 * batch (an emitted NAME_batch), writing value and partials per row as CSV.
 * Streams; a bad row stops with its line number in err. */
int data_run(const Query *q, void *batch, FILE *in, FILE *out, const char *path,
             SgError *err);

#endif
