/* bench_jit.c - symgrad's JIT (jit_compile from libsymgrad.a, i.e. libtcc)
 * against gcc on one emitted file, for tools/bench_codegen.sh.
 *
 *   bench_jit batch FILE.c NAME N REPS LO HI
 *       JIT-compile FILE.c in-process, take NAME_batch, and time it against
 *       GCC_BATCH, the same FILE.c compiled by gcc and linked in (build with
 *       -DGCC_BATCH=NAME_batch). The function must have one variable; the
 *       points are N evenly spaced midpoints of [LO, HI], each call covers
 *       all N. REPS calls each, interleaved (JIT, gcc, gcc, JIT, ...). Then
 *       checks that both outputs agree (relative 1e-12).
 *   bench_jit compile FILE.c NAME REPS
 *       JIT-compile FILE.c REPS times (jit_compile only, jit_free untimed),
 *       after one cold compile reported apart; checks NAME_batch exists.
 *
 * Prints key=value lines (times in seconds, per point where it says so);
 * exit 0 on success, 1 when outputs disagree, 2 on an error.
 *
 * Build: gcc -O2 -Isrc -DGCC_BATCH=f_batch tools/bench_jit.c f.c \
 *            build/libsymgrad.a /usr/lib/x86_64-linux-gnu/libtcc.a -lm -ldl -lpthread
 */
#include "bench_common.h"

#include "sg_internal.h"

#ifdef GCC_BATCH
void GCC_BATCH(size_t n, const double *in, double *out);
#endif

static Jit *compile_or_die(const char *src, const char *name, BatchFn *fn)
{
    SgError err;
    Jit *j = jit_compile(src, &err);
    if (!j) {
        fprintf(stderr, "bench_jit: jit_compile failed: %s\n", err.msg);
        exit(2);
    }
    char sym[256];
    snprintf(sym, sizeof sym, "%s_batch", name);
    void *p = jit_symbol(j, sym);
    if (!p) {
        fprintf(stderr, "bench_jit: no symbol %s in the compiled file\n", sym);
        exit(2);
    }
    if (fn)
        *fn = (BatchFn)p;
    return j;
}

static int cmd_batch(int argc, char **argv)
{
#ifndef GCC_BATCH
    (void)argc, (void)argv;
    fprintf(stderr, "bench_jit: built without -DGCC_BATCH=NAME_batch: no gcc side to compare\n");
    return 2;
#else
    if (argc != 8) {
        fprintf(stderr, "usage: bench_jit batch FILE.c NAME N REPS LO HI\n");
        return 2;
    }
    const char *path = argv[2], *name = argv[3];
    size_t n = bench_size_arg(argv[4], "N"), reps = bench_size_arg(argv[5], "REPS");
    double lo = bench_double_arg(argv[6], "LO"), hi = bench_double_arg(argv[7], "HI");
    char *src = bench_read_file(path);
    BatchFn jit_fn, gcc_fn = GCC_BATCH;
    Stamp t0 = bench_now();
    Jit *j = compile_or_die(src, name, &jit_fn);
    Stamp tc = bench_since(t0);

    double *x = bench_points(n, lo, hi);
    double *out_jit = bench_buffer(2 * n), *out_gcc = bench_buffer(2 * n);
    /* warm up: code, lazy binding of libm, the first pages */
    size_t warm = n < 4096 ? n : 4096;
    jit_fn(warm, x, out_jit);
    gcc_fn(warm, x, out_gcc);

    double *jw = malloc(reps * sizeof *jw), *jc = malloc(reps * sizeof *jc);
    double *gw = malloc(reps * sizeof *gw), *gc = malloc(reps * sizeof *gc);
    for (size_t r = 0; r < reps; r++) {
        for (int k = 0; k < 2; k++) {
            int jit_turn = (r % 2 == 0) == (k == 0); /* JIT first on even reps */
            Stamp s = bench_now();
            if (jit_turn)
                jit_fn(n, x, out_jit);
            else
                gcc_fn(n, x, out_gcc);
            Stamp d = bench_since(s);
            (jit_turn ? jw : gw)[r] = d.wall;
            (jit_turn ? jc : gc)[r] = d.cpu;
        }
    }

    /* the two compilations of the same file must agree */
    size_t differ = 0, worst = 0;
    double maxrel = 0;
    for (size_t i = 0; i < 2 * n; i++) {
        if (memcmp(&out_jit[i], &out_gcc[i], sizeof(double)))
            differ++;
        double r = bench_reldiff(out_jit[i], out_gcc[i]);
        if (r > maxrel)
            maxrel = r, worst = i;
    }
    double checksum = 0;
    for (size_t i = 0; i < 2 * n; i++)
        checksum += out_jit[i];

    printf("points=%zu\nreps=%zu\njit_compile_s=%.9g\n", n, reps, tc.wall);
    printf("jit_wall_med=%.9g\njit_wall_min=%.9g\njit_cpu_med=%.9g\njit_cpu_min=%.9g\n",
           bench_median(jw, reps), bench_min(jw, reps), bench_median(jc, reps),
           bench_min(jc, reps));
    printf("gcc_wall_med=%.9g\ngcc_wall_min=%.9g\ngcc_cpu_med=%.9g\ngcc_cpu_min=%.9g\n",
           bench_median(gw, reps), bench_min(gw, reps), bench_median(gc, reps),
           bench_min(gc, reps));
    printf("values=%zu\nbits_differ=%zu\nmax_rel_diff=%.3g\nworst_x=%.17g\nchecksum=%.17g\n",
           2 * n, differ, maxrel, x[worst / 2], checksum);
    int ok = maxrel <= 1e-12;
    if (!ok)
        fprintf(stderr,
                "bench_jit: JIT and gcc disagree: max relative difference %.3g at x=%.17g "
                "(%s: JIT %.17g, gcc %.17g)\n",
                maxrel, x[worst / 2], worst % 2 ? "derivative" : "value", out_jit[worst],
                out_gcc[worst]);
    jit_free(j);
    free(src), free(x), free(out_jit), free(out_gcc);
    free(jw), free(jc), free(gw), free(gc);
    return ok ? 0 : 1;
#endif
}

static int cmd_compile(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_jit compile FILE.c NAME REPS\n");
        return 2;
    }
    const char *path = argv[2], *name = argv[3];
    size_t reps = bench_size_arg(argv[4], "REPS");
    char *src = bench_read_file(path);
    size_t lines = 0;
    for (const char *p = src; *p; p++)
        lines += *p == '\n';

    Stamp s = bench_now();
    Jit *j = compile_or_die(src, name, NULL);
    Stamp first = bench_since(s);
    jit_free(j);

    double *w = malloc(reps * sizeof *w), *c = malloc(reps * sizeof *c);
    for (size_t r = 0; r < reps; r++) {
        SgError err;
        s = bench_now();
        j = jit_compile(src, &err);
        Stamp d = bench_since(s);
        if (!j) {
            fprintf(stderr, "bench_jit: jit_compile failed: %s\n", err.msg);
            return 2;
        }
        jit_free(j);
        w[r] = d.wall, c[r] = d.cpu;
    }
    /* the result still works: the batch function is there */
    BatchFn fn;
    j = compile_or_die(src, name, &fn);
    jit_free(j);
    printf("lines=%zu\nbytes=%zu\nreps=%zu\nfirst_wall=%.9g\n", lines, strlen(src), reps,
           first.wall);
    printf("wall_med=%.9g\nwall_min=%.9g\ncpu_med=%.9g\ncpu_min=%.9g\n", bench_median(w, reps),
           bench_min(w, reps), bench_median(c, reps), bench_min(c, reps));
    free(w), free(c), free(src);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "batch"))
        return cmd_batch(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "compile"))
        return cmd_compile(argc, argv);
    fprintf(stderr, "usage: bench_jit batch FILE.c NAME N REPS LO HI\n"
                    "       bench_jit compile FILE.c NAME REPS\n");
    return 2;
}
