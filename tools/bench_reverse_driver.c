/* bench_reverse_driver.c - times three emitted functions of one program in
 * n variables, compiled together with f0.c (symgrad --order 0 --name f0:
 * the function alone) and g.c (symgrad --hvp --name g: the gradient):
 *   f     f0_batch(1, in, out)  the function at one point
 *   grad  g_grad(in, grad)
 *   hvp   g_hvp(in, v, out)
 * Usage: driver N. Prints "f_ns grad_ns hvp_ns", each the best of five runs
 * of a loop sized to take about 0.1 s. Used by tools/bench_reverse.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "f0.h"
#include "g.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double *in, *v, *out, *grad;
static volatile double sink;

static void run(int which, long reps)
{
    for (long r = 0; r < reps; r++) {
        if (which == 0)
            f0_batch(1, in, out);
        else if (which == 1)
            g_grad(in, grad);
        else
            g_hvp(in, v, out);
        sink += out[0] + grad[0];
    }
}

/* Nanoseconds per call: the best of five timed loops. */
static double time_one(int which)
{
    long reps = 1;
    double t;
    for (;;) { /* size the loop to about 0.1 s */
        double t0 = now();
        run(which, reps);
        t = now() - t0;
        if (t > 0.1 || reps > (1L << 30))
            break;
        reps *= t < 0.01 ? 10 : 2;
    }
    double best = t;
    for (int k = 0; k < 4; k++) {
        double t0 = now();
        run(which, reps);
        t = now() - t0;
        best = t < best ? t : best;
    }
    return 1e9 * best / (double)reps;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 0;
    if (n <= 0) {
        fprintf(stderr, "usage: driver N\n");
        return 2;
    }
    in = malloc(n * sizeof *in), v = malloc(n * sizeof *v);
    out = calloc(n + 1, sizeof *out), grad = calloc(n + 1, sizeof *grad);
    for (long i = 0; i < n; i++) { /* a point where every case is finite and not flat */
        in[i] = 0.3 + 0.4 * (double)((i * 7919) % 1000) / 1000.0;
        v[i] = 1.0 - 2.0 * (double)((i * 104729) % 1000) / 1000.0;
    }
    double f = time_one(0), g = time_one(1), h = time_one(2);
    printf("%.1f %.1f %.1f\n", f, g, h);
    return 0;
}
