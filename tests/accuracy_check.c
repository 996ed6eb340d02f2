/* accuracy_check.c - compare computed derivatives with the oracle's.
 *
 *   accuracy_check TABLE GOT LABEL
 *
 * TABLE is tests/accuracy.tsv (expression, variable, order, point, true
 * value), GOT one number a line for its rows in order (comment lines
 * aside). A row passes when the number is within 1e-12 relative of the
 * true value, or, where the true value is 0, infinite, or below the
 * smallest normal double, when it is the double nearest to it. Prints each
 * failure and a summary; exits 1 when any row fails. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int near(double got, double want)
{
    if (want == 0 || isinf(want) || fabs(want) < DBL_MIN)
        return got == want;
    return fabs(got - want) <= 1e-12 * fabs(want);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: accuracy_check TABLE GOT LABEL\n");
        return 2;
    }
    FILE *t = fopen(argv[1], "r"), *g = fopen(argv[2], "r");
    if (!t || !g) {
        fprintf(stderr, "accuracy_check: cannot open %s\n", t ? argv[2] : argv[1]);
        return 2;
    }
    char line[4096], gline[256];
    int rows = 0, good = 0;
    while (fgets(line, sizeof line, t)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *f[5] = {line};
        for (int i = 1; i < 5 && f[i - 1]; i++) {
            f[i] = strchr(f[i - 1], '\t');
            if (f[i])
                *f[i]++ = 0;
        }
        if (!f[4]) {
            fprintf(stderr, "accuracy_check: a row without five columns: %s\n", line);
            return 2;
        }
        f[4][strcspn(f[4], "\n")] = 0;
        rows++;
        double want = strtod(f[4], NULL), got = NAN;
        if (fgets(gline, sizeof gline, g))
            got = strtod(gline, NULL);
        if (near(got, want))
            good++;
        else
            printf("FAIL [%s] d^%s/d%s^%s %s at %s: got %.17g, true %s (relative error %.2g)\n", argv[3],
                   f[2], f[1], f[2], f[0], f[3], got, f[4], fabs(got - want) / fabs(want));
    }
    printf("accuracy (%s): %d of %d rows within 1e-12\n", argv[3], good, rows);
    return good == rows ? 0 : 1;
}
