/* bench_matheval.c - GNU libmatheval evaluating its own derivative tree
 * against symgrad's JIT-compiled batch function, for tools/bench_codegen.sh.
 *
 *   bench_matheval MEXPR FILE.c NAME N REPS LO HI
 *
 * MEXPR is the function in libmatheval's syntax (^ for power; exp, sqrt,
 * sin, ...) in the one variable x; FILE.c is symgrad's emitted file for the
 * same function, JIT-compiled here with jit_compile. First both are checked
 * at a few fixed points (value and derivative, relative 1e-12); then, REPS
 * times each, interleaved:
 *   libmatheval: d = evaluator_derivative_x(f); evaluator_evaluate_x(d, x)
 *                for each of the N points (the derivative only)
 *   symgrad:     NAME_batch(N, x, out) (value and derivative per point)
 * The points are N evenly spaced midpoints of [LO, HI], as in bench_jit.
 * Afterwards every derivative is compared as well (reported; a difference
 * beyond 1e-9 of max(|a|, |b|, 1) fails).
 *
 * Prints key=value lines (times in seconds); exit 0 on success, 1 when the
 * values disagree, 2 on an error.
 *
 * Build: gcc -O2 -Isrc tools/bench_matheval.c build/libsymgrad.a \
 *            /usr/lib/x86_64-linux-gnu/libtcc.a -lmatheval -lm -ldl -lpthread
 * (libmatheval: apt-get install libmatheval-dev)
 */
#include "bench_common.h"

#include <matheval.h>

#include "sg_internal.h"

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: bench_matheval MEXPR FILE.c NAME N REPS LO HI\n");
        return 2;
    }
    char *mexpr = argv[1];
    const char *path = argv[2], *name = argv[3];
    size_t n = bench_size_arg(argv[4], "N"), reps = bench_size_arg(argv[5], "REPS");
    double lo = bench_double_arg(argv[6], "LO"), hi = bench_double_arg(argv[7], "HI");

    void *f = evaluator_create(mexpr);
    if (!f) {
        fprintf(stderr, "bench_matheval: libmatheval cannot parse '%s'\n", mexpr);
        return 2;
    }
    char **vars;
    int nvars;
    evaluator_get_variables(f, &vars, &nvars);
    if (nvars != 1 || strcmp(vars[0], "x")) {
        fprintf(stderr, "bench_matheval: '%s' must have the one variable x\n", mexpr);
        return 2;
    }
    void *d = evaluator_derivative_x(f);
    if (!d) {
        fprintf(stderr, "bench_matheval: libmatheval cannot differentiate '%s'\n", mexpr);
        return 2;
    }

    char *src = bench_read_file(path);
    SgError err;
    Jit *j = jit_compile(src, &err);
    if (!j) {
        fprintf(stderr, "bench_matheval: jit_compile failed: %s\n", err.msg);
        return 2;
    }
    char sym[256];
    snprintf(sym, sizeof sym, "%s_batch", name);
    BatchFn batch = (BatchFn)jit_symbol(j, sym);
    if (!batch) {
        fprintf(stderr, "bench_matheval: no symbol %s in %s\n", sym, path);
        return 2;
    }

    /* the check before any timing: a few points, value and derivative */
    static const double probe[] = {-2.9, -1.1, -0.45, 0.3, 0.7, 1.3, 2.5};
    size_t np = sizeof probe / sizeof probe[0];
    double pout[2 * sizeof probe / sizeof probe[0]];
    batch(np, probe, pout);
    int ok = 1;
    double worst = 0;
    for (size_t i = 0; i < np; i++) {
        double mv = evaluator_evaluate_x(f, probe[i]), md = evaluator_evaluate_x(d, probe[i]);
        double rv = bench_reldiff(pout[2 * i], mv), rd = bench_reldiff(pout[2 * i + 1], md);
        worst = fmax(worst, fmax(rv, rd));
        printf("probe x=%g value symgrad=%.17g matheval=%.17g rel=%.2g | "
               "derivative symgrad=%.17g matheval=%.17g rel=%.2g\n",
               probe[i], pout[2 * i], mv, rv, pout[2 * i + 1], md, rd);
        if (!(rv <= 1e-12 && rd <= 1e-12)) {
            fprintf(stderr, "bench_matheval: symgrad and libmatheval disagree at x=%g\n",
                    probe[i]);
            ok = 0;
        }
    }
    printf("probe_points=%zu\nprobe_max_rel=%.3g\n", np, worst);
    if (!ok)
        return 1;

    double *x = bench_points(n, lo, hi);
    double *out = bench_buffer(2 * n), *mout = bench_buffer(n);
    size_t warm = n < 4096 ? n : 4096;
    batch(warm, x, out);
    for (size_t i = 0; i < warm; i++)
        mout[i] = evaluator_evaluate_x(d, x[i]);

    double *sw = malloc(reps * sizeof *sw), *sc = malloc(reps * sizeof *sc);
    double *mw = malloc(reps * sizeof *mw), *mc = malloc(reps * sizeof *mc);
    for (size_t r = 0; r < reps; r++) {
        for (int k = 0; k < 2; k++) {
            int sg_turn = (r % 2 == 0) == (k == 0);
            Stamp s = bench_now();
            if (sg_turn) {
                batch(n, x, out);
            } else {
                for (size_t i = 0; i < n; i++)
                    mout[i] = evaluator_evaluate_x(d, x[i]);
            }
            Stamp t = bench_since(s);
            (sg_turn ? sw : mw)[r] = t.wall;
            (sg_turn ? sc : mc)[r] = t.cpu;
        }
    }

    /* every derivative, mixed absolute/relative: |a - b| / max(|a|, |b|, 1) */
    double maxdiff = 0, at = 0;
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) {
        double a = out[2 * i + 1], b = mout[i];
        double m = fmax(1, fmax(fabs(a), fabs(b)));
        double e = isnan(a) && isnan(b) ? 0 : fabs(a - b) / m;
        if (!(e <= maxdiff))
            maxdiff = e, at = x[i];
        differ += a != b;
    }

    char *ds = evaluator_get_string(d);
    printf("matheval_derivative_chars=%zu\n", strlen(ds));
    printf("matheval_derivative=%.300s%s\n", ds, strlen(ds) > 300 ? "..." : "");
    printf("points=%zu\nreps=%zu\n", n, reps);
    printf("sg_wall_med=%.9g\nsg_wall_min=%.9g\nsg_cpu_med=%.9g\nsg_cpu_min=%.9g\n",
           bench_median(sw, reps), bench_min(sw, reps), bench_median(sc, reps),
           bench_min(sc, reps));
    printf("mv_wall_med=%.9g\nmv_wall_min=%.9g\nmv_cpu_med=%.9g\nmv_cpu_min=%.9g\n",
           bench_median(mw, reps), bench_min(mw, reps), bench_median(mc, reps),
           bench_min(mc, reps));
    printf("all_differ=%zu\nall_max_diff=%.3g\nall_worst_x=%.17g\n", differ, maxdiff, at);
    if (!(maxdiff <= 1e-9)) {
        fprintf(stderr, "bench_matheval: derivatives differ by %.3g (scaled) at x=%.17g\n",
                maxdiff, at);
        ok = 0;
    }
    jit_free(j);
    evaluator_destroy(d);
    evaluator_destroy(f);
    free(src), free(x), free(out), free(mout), free(sw), free(sc), free(mw), free(mc);
    return ok ? 0 : 1;
}
