#define _DEFAULT_SOURCE /* madvise */
/* expr.c - the expression graph: an arena of immutable nodes, interned so
 * that structurally equal expressions are one pointer, plus the maps the
 * other stages memoise with. Canonical forms are simplify.c's business; this
 * file only stores what it is handed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sg_internal.h"

#define HUGE_PAGE ((size_t)2 << 20)

typedef struct Block {
    struct Block *next;
    size_t used, size;
    max_align_t data[];
} Block;

/* Derivatives in one variable, by node id: the common case (a few
 * variables) without hashing. */
#define DIRECT_VARS 8
typedef struct {
    const Expr *var;
    Expr **by_id;
    size_t cap;
} DerivMemo;

#define SMALL_INT 8

struct SgCtx {
    Block *blocks;     /* the arena, newest block first */
    uint64_t *table;   /* intern table, open addressing: slot_pack(node) */
    size_t cap, count; /* slots, nodes */
    DerivMemo direct[DIRECT_VARS]; /* the first variables: by node id */
    size_t ndirect;
    Map deriv;         /* (node, variable) -> derivative, for the others */
    size_t bytes;      /* allocated to the arena */
    SgLimits lim;      /* how large the graph may grow */
    SgLimitHandler on_limit;
    Expr *small[2 * SMALL_INT + 1]; /* the integers -SMALL_INT..SMALL_INT, once made */
    Expr *dir;         /* the newest direction (sg_direction), or NULL */
    Map tangent;       /* its tangents: variable -> tangent */
    unsigned ndirs;    /* directions made, to name each afresh */
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fputs("symgrad: error: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* A cleared array for the intern table. Big ones are fresh anonymous
 * mappings, cleared by the kernel page by page as they are first touched
 * (no memset over the whole table), on huge pages, since the probes land
 * anywhere and would otherwise miss the TLB every time. */
static size_t table_bytes(size_t n, size_t size)
{
    return (n * size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

static void *table_alloc(size_t n, size_t size)
{
    if (n * size < HUGE_PAGE)
        return xcalloc(n, size);
    void *p = mmap(NULL, table_bytes(n, size), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fputs("symgrad: error: out of memory\n", stderr);
        abort();
    }
#ifdef MADV_HUGEPAGE
    madvise(p, table_bytes(n, size), MADV_HUGEPAGE);
#endif
    return p;
}

static void table_free(void *p, size_t n, size_t size)
{
    if (n * size < HUGE_PAGE)
        free(p);
    else if (p)
        munmap(p, table_bytes(n, size));
}

static void rehash(SgCtx *ctx, size_t cap);

SgCtx *sg_new(void)
{
    SgCtx *ctx = xcalloc(1, sizeof *ctx);
    ctx->cap = 1024;
    ctx->table = xcalloc(ctx->cap, sizeof *ctx->table);
    ctx->lim = (SgLimits){SG_DEFAULT_MAX_DEPTH, SG_DEFAULT_MAX_NODES, SG_DEFAULT_MAX_BYTES};
    return ctx;
}

void sg_free(SgCtx *ctx)
{
    if (!ctx)
        return;
    for (Block *b = ctx->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    for (size_t i = 0; i < ctx->ndirect; i++)
        free(ctx->direct[i].by_id);
    map_free(&ctx->deriv);
    map_free(&ctx->tangent);
    table_free(ctx->table, ctx->cap, sizeof *ctx->table);
    free(ctx);
}

size_t sg_node_count(const SgCtx *ctx) { return ctx->count; }

/* Grow the intern table once, up front, for about `nodes` nodes. */
void sg_reserve(SgCtx *ctx, size_t nodes)
{
    size_t cap = ctx->cap;
    while (nodes * 4 > cap * 3 && cap < ((size_t)1 << 40))
        cap *= 2;
    if (cap > ctx->cap)
        rehash(ctx, cap);
}

void sg_set_limits(SgCtx *ctx, const SgLimits *lim, SgLimitHandler on_limit)
{
    ctx->lim = *lim;
    ctx->on_limit = on_limit;
}

const SgLimits *sg_limits(const SgCtx *ctx) { return &ctx->lim; }

static _Noreturn void over_limit(SgCtx *ctx, SgLimitKind kind, size_t limit)
{
    if (ctx->on_limit)
        ctx->on_limit(kind, limit);
    fprintf(stderr, "symgrad: error: the expression graph passed its %s limit (%zu)\n",
            kind == SG_LIMIT_DEPTH ? "depth" : kind == SG_LIMIT_NODES ? "node" : "byte",
            limit);
    abort();
}

/* The first DIRECT_VARS variables index an array by node id; the rest share
 * one table, so memory follows the derivatives taken, not the variables
 * times the nodes (a gradient in 10,000 variables). */
Expr **sg_deriv_slot(SgCtx *ctx, const Expr *e, const Expr *var)
{
    DerivMemo *m = NULL;
    for (size_t i = 0; i < ctx->ndirect && !m; i++)
        if (ctx->direct[i].var == var)
            m = &ctx->direct[i];
    if (!m && ctx->ndirect < DIRECT_VARS) {
        m = &ctx->direct[ctx->ndirect++];
        *m = (DerivMemo){var, NULL, 0};
    }
    if (!m)
        return map_slot(&ctx->deriv, map_key(e, var));
    if (e->id >= m->cap) {
        size_t cap = m->cap ? m->cap : 1024;
        while (cap <= e->id)
            cap *= 2;
        m->by_id = sg_realloc(m->by_id, cap * sizeof *m->by_id);
        if (!m->by_id)
            abort();
        memset(m->by_id + m->cap, 0, (cap - m->cap) * sizeof *m->by_id);
        m->cap = cap;
    }
    return &m->by_id[e->id];
}

Expr *sg_direction(SgCtx *ctx, Expr **vars, Expr **tangents, size_t n)
{
    char name[32];
    snprintf(name, sizeof name, "%%dir%u", ++ctx->ndirs); /* no program can name it */
    Expr *dir = expr_var(ctx, name, strlen(name));
    map_free(&ctx->tangent);
    ctx->tangent = (Map){0};
    for (size_t i = 0; i < n; i++) {
        dir->vars |= vars[i]->vars; /* so deriv skips what no vars[i] is under */
        map_put(&ctx->tangent, map_key(vars[i], NULL), tangents[i]);
    }
    ctx->dir = dir;
    return dir;
}

Expr *sg_direction_leaf(SgCtx *ctx, const Expr *dir, const Expr *v)
{
    if (dir != ctx->dir || !ctx->dir)
        return NULL;
    Expr *t = map_get(&ctx->tangent, map_key(v, NULL));
    return t ? t : expr_int(ctx, 0);
}

/* n bytes from the arena, not cleared. */
static void *arena_alloc(SgCtx *ctx, size_t n)
{
    n = (n + sizeof(void *) - 1) / sizeof(void *) * sizeof(void *); /* nodes need no more */
    Block *b = ctx->blocks;
    if (!b || b->size - b->used < n) {
        /* blocks double from 1 MiB to 64 MiB; big ones ask for huge pages,
         * which cuts the page faults of a large graph many times over */
        size_t size = b ? (b->size < (64u << 20) ? b->size * 2 : b->size) : (1u << 20);
        if (size < n)
            size = n;
        size_t total = (sizeof *b + size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        if (ctx->lim.max_bytes && ctx->bytes + total > ctx->lim.max_bytes)
            over_limit(ctx, SG_LIMIT_BYTES, ctx->lim.max_bytes);
        ctx->bytes += total;
        b = size >= HUGE_PAGE ? aligned_alloc(HUGE_PAGE, total) : malloc(total);
        if (b && ((uint64_t)(uintptr_t)b + total) >> 48) { /* a slot could not hold it */
            fputs("symgrad: error: memory at addresses above 2^48, which the intern "
                  "table cannot hold\n", stderr);
            abort();
        }
        if (!b) {
            fputs("symgrad: error: out of memory\n", stderr);
            abort();
        }
#ifdef MADV_HUGEPAGE
        if (size >= HUGE_PAGE)
            madvise(b, total, MADV_HUGEPAGE);
#endif
        size = total - sizeof *b;
        b->size = size;
        b->used = 0;
        b->next = ctx->blocks;
        ctx->blocks = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void *sg_alloc(SgCtx *ctx, size_t n) { return memset(arena_alloc(ctx, n), 0, n); }

/* ---- interning ----------------------------------------------------------- */

static uint32_t mix(uint32_t h, uint64_t v)
{
    h ^= (uint32_t)v + 0x9e3779b9u + (h << 6) + (h >> 2);
    h ^= (uint32_t)(v >> 32) + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h;
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static uint32_t node_hash(Op op, Expr **args, size_t n, double num, int exact,
                          int64_t p, int64_t q, const char *name,
                          const UserFn *fn)
{
    uint32_t h = mix(2166136261u, ((uint64_t)op << 32) | n);
    if (op == OP_NUM) {
        uint64_t bits;
        memcpy(&bits, &num, sizeof bits);
        h = exact ? mix(mix(h, (uint64_t)p), (uint64_t)q) : mix(h, bits);
    }
    if (name)
        h = mix(h, hash_str(name));
    if (fn)
        h = mix(h, hash_str(fn->name));
    for (size_t i = 0; i < n; i++)
        h = mix(h, args[i]->hash);
    return h;
}

static int node_equal(const Expr *e, Op op, Expr **args, size_t n, double num,
                      int exact, int64_t p, int64_t q, const char *name,
                      const UserFn *fn)
{
    if (e->op != op || e->n != n || (op == OP_CALL && e->fn != fn))
        return 0;
    if (op == OP_NUM) {
        if (e->exact != exact)
            return 0;
        if (exact)
            return expr_p(e) == p && expr_q(e) == q;
        return !memcmp(&e->num, &num, sizeof num);
    }
    if (op == OP_VAR)
        return name && !strcmp(e->name, name);
    for (size_t i = 0; i < n; i++)
        if (e->args[i] != args[i])
            return 0;
    return 1;
}

/* Spread the hash's bits before taking the low ones as a slot. */
static size_t slot_for(uint32_t h, size_t cap)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h & (cap - 1);
}

/* A slot holds the node's address in its low 48 bits (user-space addresses
 * fit: the arena checks) and the top 16 bits of its hash above them, so a
 * probe reads one array and touches a node only when those bits agree. */
static Expr *slot_addr(uint64_t s) { return (Expr *)(uintptr_t)(s & (((uint64_t)1 << 48) - 1)); }
static uint64_t slot_pack(const Expr *e, uint32_t h)
{
    return (uint64_t)(uintptr_t)e | (uint64_t)(h >> 16) << 48;
}
static int slot_tag_is(uint64_t s, uint32_t h) { return (uint32_t)(s >> 48) == h >> 16; }

/* Move the intern table to cap slots (a power of two, above the count). */
static void rehash(SgCtx *ctx, size_t cap)
{
    uint64_t *t = table_alloc(cap, sizeof *t);
    for (size_t i = 0; i < ctx->cap; i++) {
        uint64_t s = ctx->table[i];
        if (!s)
            continue;
        size_t j = slot_for(slot_addr(s)->hash, cap);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = s;
    }
    table_free(ctx->table, ctx->cap, sizeof *ctx->table);
    ctx->table = t;
    ctx->cap = cap;
}

Expr *expr_intern(SgCtx *ctx, Op op, Expr **args, size_t n, double num,
                  int exact, int64_t p, int64_t q, const char *name,
                  const UserFn *fn)
{
    if (op == OP_NUM) {
        if (num == 0)
            num = 0; /* one zero: -0.0 folds into 0 */
        if (isnan(num))
            num = NAN;
    }
    uint32_t h = node_hash(op, args, n, num, exact, p, q, name, fn);
    size_t i = slot_for(h, ctx->cap);
    for (uint64_t s; (s = ctx->table[i]); i = (i + 1) & (ctx->cap - 1))
        if (slot_tag_is(s, h) && node_equal(slot_addr(s), op, args, n, num, exact, p, q, name, fn))
            return slot_addr(s);
    if (ctx->lim.max_nodes && ctx->count >= ctx->lim.max_nodes)
        over_limit(ctx, SG_LIMIT_NODES, ctx->lim.max_nodes);
    Expr *e = arena_alloc(ctx, sizeof *e + (op == OP_NUM ? 2 * sizeof(int64_t) : n * sizeof(Expr *)));
    e->op = (uint8_t)op;
    e->exact = (uint8_t)exact;
    e->n = (uint32_t)n;
    e->hash = h;
    e->id = (uint32_t)ctx->count;
    if (op == OP_CALL) {
        e->fn = fn;
    } else if (op != OP_VAR) {
        e->num = num;
        if (op == OP_NUM) { /* read back by expr_p and expr_q */
            memcpy(e->args, &p, sizeof p);
            memcpy((char *)e->args + sizeof p, &q, sizeof q);
        }
    }
    e->mark = 0;
    e->depth = 1;
    e->vars = op == OP_VAR ? (uint64_t)1 << (hash_str(name) & 63) : 0;
    for (size_t k = 0; k < n; k++) {
        if (args[k]->depth >= e->depth)
            e->depth = args[k]->depth + 1;
        e->vars |= args[k]->vars;
    }
    if (ctx->lim.max_depth && e->depth > 4 * (uint32_t)ctx->lim.max_depth)
        over_limit(ctx, SG_LIMIT_DEPTH, 4 * (size_t)ctx->lim.max_depth);
    if (name) {
        size_t len = strlen(name);
        char *copy = arena_alloc(ctx, len + 1);
        memcpy(copy, name, len + 1);
        e->name = copy;
    }
    if (n)
        memcpy(e->args, args, n * sizeof(Expr *));
    ctx->table[i] = slot_pack(e, h);
    if (++ctx->count * 4 > ctx->cap * 3)
        rehash(ctx, ctx->cap * 2);
    return e;
}

/* ---- leaves -------------------------------------------------------------- */

static int64_t gcd64(int64_t a, int64_t b)
{
    if (a < 0)
        a = -a;
    if (b < 0)
        b = -b;
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

Expr *expr_num(SgCtx *ctx, double v)
{
    return expr_intern(ctx, OP_NUM, NULL, 0, v, 0, 0, 1, NULL, NULL);
}

/* The rules ask for 0, 1, -1 and 2 all the time: those skip the table. */
Expr *expr_int(SgCtx *ctx, int64_t v)
{
    if (v < -SMALL_INT || v > SMALL_INT)
        return expr_rat(ctx, v, 1);
    Expr **e = &ctx->small[v + SMALL_INT];
    return *e ? *e : (*e = expr_rat(ctx, v, 1));
}

Expr *expr_rat(SgCtx *ctx, int64_t p, int64_t q)
{
    if (p == INT64_MIN || q == INT64_MIN) /* no exact negation: keep it a float */
        return expr_num(ctx, (double)p / (double)q);
    if (q == 0)
        return expr_num(ctx, p == 0 ? NAN : p > 0 ? INFINITY : -INFINITY);
    if (q < 0) {
        if (p == INT64_MIN || q == INT64_MIN)
            return expr_num(ctx, (double)p / (double)q);
        p = -p;
        q = -q;
    }
    int64_t g = gcd64(p, q);
    if (g > 1) {
        p /= g;
        q /= g;
    }
    return expr_intern(ctx, OP_NUM, NULL, 0, (double)p / (double)q, 1, p, q,
                       NULL, NULL);
}

Expr *expr_var(SgCtx *ctx, const char *name, size_t len)
{
    char small[128];
    char *s = len < sizeof small ? small : xcalloc(len + 1, 1);
    memcpy(s, name, len);
    s[len] = 0;
    Expr *e = expr_intern(ctx, OP_VAR, NULL, 0, 0, 0, 0, 1, s, NULL);
    if (s != small)
        free(s);
    return e;
}

Expr *expr_constant(SgCtx *ctx, Op op)
{
    return expr_intern(ctx, op, NULL, 0, op == OP_PI ? 3.14159265358979323846 : 2.71828182845904523536, 0, 0, 1,
                       NULL, NULL);
}

int expr_is_int(const Expr *e) { return e->op == OP_NUM && e->exact && expr_q(e) == 1; }
int expr_is_zero(const Expr *e) { return e->op == OP_NUM && e->num == 0; }
int expr_is_one(const Expr *e) { return e->op == OP_NUM && e->exact && expr_p(e) == 1 && expr_q(e) == 1; }

/* ---- maps ---------------------------------------------------------------- */

uint64_t map_key(const Expr *a, const Expr *b)
{
    return ((uint64_t)(a->id + 1) << 32) | (b ? b->id + 1u : 0u);
}

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

Expr *map_get(const Map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = slot_of(key, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == key)
            return m->vals[i];
    return NULL;
}

void map_put(Map *m, uint64_t key, Expr *val) { *map_slot(m, key) = val; }

Expr **map_slot(Map *m, uint64_t key)
{
    if ((m->len + 1) * 2 > m->cap) {
        Map bigger = {xcalloc(m->cap ? m->cap * 2 : 64, sizeof(uint64_t)),
                      xcalloc(m->cap ? m->cap * 2 : 64, sizeof(Expr *)),
                      m->cap ? m->cap * 2 : 64, 0};
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                map_put(&bigger, m->keys[i], m->vals[i]);
        map_free(m);
        *m = bigger;
    }
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) {
        m->len++;
        m->keys[i] = key;
        m->vals[i] = NULL;
    }
    return &m->vals[i];
}

void map_free(Map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- whole-graph walks ---------------------------------------------------- */

static int cmp_var_name(const void *a, const void *b)
{
    return strcmp((*(Expr *const *)a)->name, (*(Expr *const *)b)->name);
}

size_t expr_free_vars(Expr **roots, size_t nroots, Expr ***out)
{
    static uint32_t epoch; /* marks of this walk; a new walk, a new epoch */
    if (++epoch == 0) /* wrapped: old marks could match again */
        epoch = 1;
    size_t sp = 0, stack_cap = 64, nvars = 0, vars_cap = 8;
    Expr **stack = xcalloc(stack_cap, sizeof *stack);
    Expr **vars = xcalloc(vars_cap, sizeof *vars);
    for (size_t r = 0; r < nroots; r++) {
        stack[sp++] = roots[r];
        while (sp) {
            Expr *e = stack[--sp];
            if (e->mark == epoch || !e->vars) /* seen, or no variable below */
                continue;
            e->mark = epoch;
            if (e->op == OP_VAR) {
                if (nvars == vars_cap)
                    vars = sg_realloc(vars, (vars_cap *= 2) * sizeof *vars);
                vars[nvars++] = e;
            }
            /* a user call's value (args[0]) holds the same variables */
            for (uint32_t i = 0; i < e->n; i++) {
                if (sp == stack_cap)
                    stack = sg_realloc(stack, (stack_cap *= 2) * sizeof *stack);
                stack[sp++] = e->args[i];
            }
        }
    }
    free(stack);
    qsort(vars, nvars, sizeof *vars, cmp_var_name);
    *out = vars;
    return nvars;
}

static Expr *subst(SgCtx *ctx, Expr *e, Map *memo)
{
    Expr *done = map_get(memo, map_key(e, NULL));
    if (done)
        return done;
    Expr *small[4], **args = e->n <= 4 ? small : xcalloc(e->n, sizeof *args);
    int changed = 0;
    for (uint32_t i = 0; i < e->n; i++) {
        args[i] = subst(ctx, e->args[i], memo);
        changed |= args[i] != e->args[i];
    }
    Expr *r = changed ? expr_rebuild(ctx, e, args) : e;
    if (args != small)
        free(args);
    map_put(memo, map_key(e, NULL), r);
    return r;
}

Expr *expr_subst(SgCtx *ctx, Expr *e, Expr **vars, Expr **vals, size_t n)
{
    Map memo = {0};
    for (size_t i = 0; i < n; i++)
        map_put(&memo, map_key(vars[i], NULL), vals[i]);
    Expr *r = subst(ctx, e, &memo);
    map_free(&memo);
    return r;
}
