/* jit.c - C source to machine code in memory through libtcc. Every libtcc
 * call lives here. The compiler's messages are captured into the SgError,
 * never printed; libm's functions are handed to the compiled code directly,
 * so nothing is looked up on disk but <math.h> and libtcc1.a. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtcc.h>

#include "sg_internal.h"

#ifndef SG_TCC_LIB_DIR
#define SG_TCC_LIB_DIR "/usr/lib/x86_64-linux-gnu/tcc"
#endif

/* Declarations of libm for the compiled code. <math.h> itself is skipped
 * (its include guard predefined): parsing glibc's header costs the compiler
 * several times more than the code it compiles. */
static void math_prelude(Buf *b);

struct Jit {
    TCCState *s;
};

static void on_error(void *opaque, const char *msg)
{
    Buf *b = opaque;
    if (b->len < 400)
        emitf(b, "%s%s", b->len ? "; " : "", msg);
}

/* The libm functions emitted code may call, in double and (--real float,
 * name + "f") in float. */
static const struct {
    const char *name;
    const void *fn, *fn_f;
    int arity;
} libm[] = {
#define M1(g) {#g, (const void *)(double (*)(double))g, (const void *)(float (*)(float))g##f, 1}
#define M2(g) {#g, (const void *)(double (*)(double, double))g, \
               (const void *)(float (*)(float, float))g##f, 2}
    M1(fabs), M1(acos), M1(acosh), M1(asin), M1(asinh), M1(atan), M1(atanh),
    M1(cbrt), M1(ceil), M1(cos), M1(cosh), M1(erf), M1(erfc), M1(exp), M1(expm1),
    M1(floor), M1(log), M1(log10), M1(log1p), M1(log2), M1(sin), M1(sinh),
    M1(sqrt), M1(tan), M1(tanh), M2(pow), M2(atan2), M2(hypot),
#undef M1
#undef M2
};

static void math_prelude(Buf *b)
{
    for (size_t i = 0; i < sizeof libm / sizeof libm[0]; i++) {
        const char *n = libm[i].name;
        if (libm[i].arity == 1)
            emitf(b, "double %s(double);\nfloat %sf(float);\n", n, n);
        else
            emitf(b, "double %s(double, double);\nfloat %sf(float, float);\n", n, n);
    }
    emitf(b, "#line 1\n");
}

Jit *jit_compile(const char *src, SgError *err)
{
    Buf msgs = {0}, code = {0};
    TCCState *s = tcc_new();
    if (!s) {
        sg_error_set(err, 0, 0, "cannot start the C compiler (libtcc)");
        return NULL;
    }
    tcc_set_lib_path(s, SG_TCC_LIB_DIR);
    tcc_set_error_func(s, &msgs, on_error);
    tcc_set_options(s, "-nostdlib");
    tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
    tcc_define_symbol(s, "_MATH_H", "1");
    for (size_t i = 0; i < sizeof libm / sizeof libm[0]; i++) {
        char fname[16];
        snprintf(fname, sizeof fname, "%sf", libm[i].name);
        tcc_add_symbol(s, libm[i].name, libm[i].fn);
        tcc_add_symbol(s, fname, libm[i].fn_f);
    }
    math_prelude(&code);
    emitf(&code, "%s", src);
    int ok = tcc_compile_string(s, code.s) >= 0 && tcc_relocate(s, TCC_RELOCATE_AUTO) >= 0;
    buf_free(&code);
    if (!ok) {
        sg_error_set(err, 0, 0, "the generated C did not compile: %s",
                     msgs.s ? msgs.s : "(no message)");
        buf_free(&msgs);
        tcc_delete(s);
        return NULL;
    }
    buf_free(&msgs);
    Jit *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    j->s = s;
    return j;
}

void *jit_symbol(Jit *j, const char *name) { return tcc_get_symbol(j->s, name); }

void jit_free(Jit *j)
{
    if (!j)
        return;
    tcc_delete(j->s);
    free(j);
}
