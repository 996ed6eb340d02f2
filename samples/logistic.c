/* logistic.c - train a logistic regression with a gradient written by symgrad.
 *
 * The build runs
 *     symgrad -f bce.sym --wrt w,b --name bce --emit-c bce.c
 * and this program includes the generated bce.h and links bce.c.  It makes a
 * small, deterministic one-dimensional data set, fits w and b by full-batch
 * gradient descent on the mean binary cross-entropy, and prints the loss as
 * it falls.
 *
 * The generated functions take the free variables of bce.sym in alphabetical
 * order, so in[] = { b, w, x, y }; bce_grad() fills grad[] in --wrt order,
 * grad[0] = d/dw and grad[1] = d/db.
 *
 * Exit status 0 only if the generated gradient matches the closed form
 * (p - y)*x, (p - y), the loss fell at every report, and the fitted model
 * classifies the data well.
 */
#include <math.h>
#include <stdio.h>

#include "bce.h"

#define N_POINTS 200
#define EPOCHS 300
#define REPORT_EVERY 30
#define LEARNING_RATE 0.1

/* The model that generates the labels: P(y = 1 | x) = sigmoid(TRUE_W*x + TRUE_B). */
#define TRUE_W 3.0
#define TRUE_B (-1.5)

/* A tiny linear congruential generator, so the data are the same everywhere
 * (no dependence on the C library's rand()). */
static unsigned long rng_state = 20240601UL;

static double uniform01(void)
{
    rng_state = (rng_state * 1664525UL + 1013904223UL) & 0xffffffffUL;
    return (double)(rng_state >> 8) / 16777216.0; /* 24 bits in [0, 1) */
}

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static void make_data(double *x, double *y, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        x[i] = -3.0 + 6.0 * uniform01();
        y[i] = uniform01() < sigmoid(TRUE_W * x[i] + TRUE_B) ? 1.0 : 0.0;
    }
}

/* Mean loss over the data set, and the mean gradient in grad[0] (w), grad[1] (b). */
static double loss_and_grad(double w, double b, const double *x, const double *y,
                            int n, double grad[2])
{
    double loss = 0.0, in[4], g[2];
    int i;
    grad[0] = grad[1] = 0.0;
    for (i = 0; i < n; i++) {
        in[0] = b;
        in[1] = w;
        in[2] = x[i];
        in[3] = y[i];
        loss += bce(b, w, x[i], y[i]);
        bce_grad(in, g);
        grad[0] += g[0];
        grad[1] += g[1];
    }
    grad[0] /= n;
    grad[1] /= n;
    return loss / n;
}

/* Largest difference between the generated gradient and the textbook one,
 * d/dw = (p - y)*x, d/db = p - y, over the data at (w, b). */
static double gradient_error(double w, double b, const double *x, const double *y, int n)
{
    double worst = 0.0, in[4], g[2];
    int i;
    for (i = 0; i < n; i++) {
        double p = sigmoid(w * x[i] + b);
        double ew, eb;
        in[0] = b;
        in[1] = w;
        in[2] = x[i];
        in[3] = y[i];
        bce_grad(in, g);
        ew = fabs(g[0] - (p - y[i]) * x[i]);
        eb = fabs(g[1] - (p - y[i]));
        if (ew > worst)
            worst = ew;
        if (eb > worst)
            worst = eb;
    }
    return worst;
}

int main(void)
{
    static double x[N_POINTS], y[N_POINTS];
    double w = 0.0, b = 0.0, grad[2], loss, first_loss = 0.0, last_loss = 0.0;
    double gerr;
    int epoch, i, correct = 0, positives = 0, ok = 1;

    make_data(x, y, N_POINTS);
    for (i = 0; i < N_POINTS; i++)
        positives += y[i] == 1.0;
    printf("data: %d points, x in [-3, 3), y ~ Bernoulli(sigmoid(%g*x - %g)), %d positive\n",
           N_POINTS, TRUE_W, -TRUE_B, positives);

    gerr = gradient_error(0.5, -0.25, x, y, N_POINTS);
    printf("generated gradient vs (p - y)*x, (p - y): max difference %.3g\n", gerr);
    if (!(gerr < 1e-12)) {
        fprintf(stderr, "logistic: the generated gradient disagrees with the closed form\n");
        ok = 0;
    }

    for (epoch = 0; epoch <= EPOCHS; epoch++) {
        loss = loss_and_grad(w, b, x, y, N_POINTS, grad);
        if (epoch % REPORT_EVERY == 0) {
            printf("epoch %4d  loss %.6f  w %8.4f  b %8.4f\n", epoch, loss, w, b);
            if (epoch == 0)
                first_loss = loss;
            else if (!(loss < last_loss)) {
                fprintf(stderr, "logistic: the loss did not fall (%.6f after %.6f)\n",
                        loss, last_loss);
                ok = 0;
            }
            last_loss = loss;
        }
        if (epoch < EPOCHS) {
            w -= LEARNING_RATE * grad[0];
            b -= LEARNING_RATE * grad[1];
        }
    }

    for (i = 0; i < N_POINTS; i++)
        correct += (w * x[i] + b > 0.0) == (y[i] == 1.0);
    printf("final: w = %.4f, b = %.4f (data made with w = %g, b = %g)\n", w, b, TRUE_W, TRUE_B);
    printf("loss %.6f -> %.6f, accuracy %d/%d = %.1f%%\n", first_loss, last_loss, correct,
           N_POINTS, 100.0 * correct / N_POINTS);

    if (!(last_loss < 0.6 * first_loss)) {
        fprintf(stderr, "logistic: the loss fell too little\n");
        ok = 0;
    }
    if (correct < N_POINTS * 8 / 10) {
        fprintf(stderr, "logistic: accuracy below 80%%\n");
        ok = 0;
    }
    return ok ? 0 : 1;
}
