/* fuzz_pipeline.c - a libFuzzer target over the whole pipeline: the input is
 * a program (as `symgrad -f FILE` reads it); it is parsed, differentiated
 * (the gradient in every free variable, and the Hessian when there are few),
 * simplified, reported in every format, evaluated through the JIT with
 * --check, emitted as a .c/.h pair in double and float, and each emitted
 * file is compiled with libtcc and run. Emitted C that does not compile is a
 * bug: the target aborts. Built with clang -fsanitize=fuzzer (SYMGRAD_FUZZ),
 * or with a replay main() for ctest (SG_FUZZ_REPLAY): each argument is a file
 * run once.
 *
 * Like the symgrad command, each input runs on a thread with a 1 GB stack:
 * recursion follows the input's nesting, which the parser bounds for that
 * stack. Inputs whose graphs grow past a node budget are skipped after the
 * stage that grew them, so one input cannot take the fuzzer's time. The
 * order-N path of the command is the Hessian's diagonal here. */
#define _GNU_SOURCE /* fmemopen */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_internal.h"

#define MAX_NODES 20000   /* a parsed program larger than this is skipped */
#define MAX_DERIV_NODES 200000 /* likewise after differentiating */
#define MAX_HESS_VARS 4   /* the Hessian only for this many variables */
#define MAX_VARS 16       /* the gradient only for this many */

static _Noreturn void bug(const char *what, const char *detail, const char *code)
{
    fprintf(stderr, "fuzz_pipeline: %s: %s\n", what, detail);
    if (code)
        fprintf(stderr, "---- the code ----\n%s\n----\n", code);
    abort();
}

/* Compile emitted source; it must compile. Returns the Jit. */
static Jit *must_compile(const char *src, const char *what)
{
    SgError err;
    Jit *j = jit_compile(src, &err);
    if (!j)
        bug(what, err.msg, src);
    return j;
}

typedef void (*GradFn)(const double *in, double *out);
typedef void (*BatchFn)(size_t n, const double *in, double *out);

/* Write the .c/.h pair for q (double or float), compile the source and the
 * header's prototypes with it, and call NAME_grad and NAME_batch at the
 * point. In double, stream a one-row CSV through --data's reader too. */
static void emit_file(SgCtx *ctx, const Query *q, int single)
{
    CFile cf = {"fz", "fz.c", "fz.h", single, NULL, NULL};
    Buf c = {0}, h = {0}, both = {0};
    SgError err;
    if (!emit_c_file(ctx, q, &cf, &c, &h, &err))
        bug("emit_c_file failed with the built-in templates", err.msg, NULL);
    emitf(&both, "%s\n%s", h.s, c.s);
    Jit *j = must_compile(both.s, single ? "emitted C (float) did not compile"
                                         : "emitted C did not compile");
    size_t nin = q->nvars ? q->nvars : 1, nout = q->nwrt + 1;
    if (!single) { /* in float the functions take float arrays */
        GradFn grad = (GradFn)jit_symbol(j, "fz_grad");
        BatchFn batch = (BatchFn)jit_symbol(j, "fz_batch");
        if (!grad || !batch)
            bug("emitted C lacks fz_grad or fz_batch", "", c.s);
        double *in = calloc(2 * nin, sizeof *in), *out = calloc(2 * nout, sizeof *out);
        memcpy(in, q->at, q->nvars * sizeof *in);
        memcpy(in + nin, q->at, q->nvars * sizeof *in);
        grad(in, out);
        batch(2, in, out);
        free(in);
        free(out);
        if (!q->hessian) {
            Buf csv = {0};
            for (size_t i = 0; i < q->nvars; i++)
                emitf(&csv, "%s%s", i ? "," : "", q->vars[i]->name);
            emitf(&csv, "\n");
            for (size_t i = 0; i < q->nvars; i++)
                emitf(&csv, "%s%.17g", i ? "," : "", q->at[i]);
            emitf(&csv, "\n");
            FILE *fin = fmemopen(csv.s, csv.len, "r"), *fout = fopen("/dev/null", "w");
            if (fin && fout)
                data_run(q, (void *)batch, fin, fout, "fuzz.csv", &err);
            if (fin)
                fclose(fin);
            if (fout)
                fclose(fout);
            buf_free(&csv);
        }
    }
    jit_free(j);
    buf_free(&c);
    buf_free(&h);
    buf_free(&both);
}

/* Differentiate, evaluate with --check, report every way, emit: what the
 * command does for one set of options. Returns 0 when the graph grew past
 * the budget (the rest is skipped). */
static int run_query(SgCtx *ctx, Expr *f, int order, int hessian, Mode mode)
{
    /* reverse mode: also the Hessian-vector product in the emitted file */
    Query q = {.f = f, .order = order, .hessian = hessian, .mode = mode,
               .functions = mode == MODE_REVERSE ? FN_VALUE | FN_GRAD | FN_BATCH | FN_HVP |
                                                   (hessian ? FN_HESS : 0) : 0};
    q.nvars = expr_free_vars(&q.f, 1, &q.vars);
    q.wrt = malloc((q.nvars ? q.nvars : 1) * sizeof *q.wrt);
    memcpy(q.wrt, q.vars, q.nvars * sizeof *q.wrt);
    q.nwrt = q.nvars;
    if (!q.nwrt)
        q.order = 0, q.hessian = 0;
    query_derive(ctx, &q);
    query_widen_vars(&q);
    int ok = sg_node_count(ctx) <= MAX_DERIV_NODES;
    if (ok) {
        q.have_at = 1;
        q.want_value = 1;
        q.at = calloc(q.nvars ? q.nvars : 1, sizeof *q.at);
        for (size_t i = 0; i < q.nvars; i++)
            q.at[i] = 0.5 + 0.25 * (double)i;
        SgError err;
        if (!query_evaluate(ctx, &q, 1, &err))
            bug("the evaluation code did not compile", err.msg, NULL);
        for (int fmt = FMT_INFIX; fmt <= FMT_JSON; fmt++)
            for (int values = 0; values <= 1; values++) {
                Buf b = {0};
                report(&b, &q, (Format)fmt, values, 1);
                buf_free(&b);
            }
        emit_file(ctx, &q, 0);
        emit_file(ctx, &q, 1);
    }
    query_free(&q);
    return ok;
}

static void one_input(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    memcpy(src, data, size);
    src[size] = 0;
    SgCtx *ctx = sg_new();
    Program prog;
    SgError err;
    if (!parse_program(ctx, src, size, &prog, &err)) {
        if (!err.msg[0])
            bug("a parse error without a message", "", NULL);
        goto done;
    }
    if (sg_node_count(ctx) > MAX_NODES)
        goto done;
    char *text = expr_to_string(prog.out);
    free(text);
    Expr **vars;
    size_t nvars = expr_free_vars(&prog.out, 1, &vars);
    free(vars);
    if (nvars <= MAX_VARS && run_query(ctx, prog.out, 1, 0, MODE_FORWARD) &&
        run_query(ctx, prog.out, 1, 0, MODE_REVERSE) && nvars <= MAX_HESS_VARS)
        run_query(ctx, prog.out, 2, 1, MODE_AUTO);
    if (sg_node_count(ctx) <= MAX_DERIV_NODES && nvars <= MAX_HESS_VARS)
        run_query(ctx, prog.out, 2, 1, MODE_REVERSE);
    if (sg_node_count(ctx) <= MAX_DERIV_NODES)
        run_query(ctx, prog.out, 0, 0, MODE_AUTO);
done:
    sg_free(ctx);
    free(src);
}

typedef struct {
    const uint8_t *data;
    size_t size;
} Input;

static void *input_thread(void *p)
{
    Input *in = p;
    one_input(in->data, in->size);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Input in = {data, size};
    pthread_attr_t attr;
    pthread_t t;
    if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, (size_t)1 << 30) ||
        pthread_create(&t, &attr, input_thread, &in))
        bug("cannot start the 1 GB-stack thread", "", NULL);
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
    return 0;
}

#ifdef SG_FUZZ_REPLAY
#include <dirent.h>

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 0;
    }
    Buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        for (size_t k = 0; k < n; k++)
            buf_putc(&b, chunk[k]);
    fclose(f);
    printf("%s\n", path);
    fflush(stdout);
    LLVMFuzzerTestOneInput((const uint8_t *)(b.s ? b.s : ""), b.len);
    buf_free(&b);
    return 1;
}

/* Replay: run each file named on the command line once; a directory, each
 * file in it (not README.md). */
int main(int argc, char **argv)
{
    int ok = 1, count = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            ok &= replay_file(argv[i]);
            count++;
            continue;
        }
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
                continue;
            Buf path = {0};
            emitf(&path, "%s/%s", argv[i], e->d_name);
            ok &= replay_file(path.s);
            count++;
            buf_free(&path);
        }
        closedir(d);
    }
    printf("%d inputs replayed\n", count);
    return ok ? 0 : 2;
}
#endif
