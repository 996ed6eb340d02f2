// bench_ginac.cpp - the GiNaC peer for tools/bench.sh.
//
// Computes the N-th derivative of sin(sin(sin(sin(x)))) (or of the expression
// given on the command line, in GiNaC's syntax) with respect to x and
// evaluates it at a point, the same job as
//   symgrad 'sin(sin(sin(sin(x))))' --order N --at X --values
//
// usage: bench_ginac [ORDER [X [EXPR]]]        (defaults: 10 0.5 sin(sin(sin(sin(x)))))
//
// Prints on standard output:
//   value <the derivative's value, %.17g>
//   inproc_ns <ns of the differentiation + evaluation, the figure to quote>
//   diff_ns <ns of the differentiation alone>
//   eval_ns <ns of the substitution + evalf alone>
//   parse_ns <ns of reading the expression text, not in inproc_ns>
// The caller times the whole process separately (start-up, GiNaC's static
// initialisation and all), so both figures can be compared with symgrad's.
//
// Build: g++ -O2 bench_ginac.cpp $(pkg-config --cflags --libs ginac) -o bench_ginac
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <ginac/ginac.h>

int main(int argc, char **argv)
{
    int order = argc > 1 ? std::atoi(argv[1]) : 10;
    double at = argc > 2 ? std::strtod(argv[2], nullptr) : 0.5;
    std::string text = argc > 3 ? argv[3] : "sin(sin(sin(sin(x))))";
    if (order < 0) {
        std::fprintf(stderr, "bench_ginac: order must be >= 0\n");
        return 2;
    }

    using clock = std::chrono::steady_clock;
    GiNaC::symbol x("x");
    GiNaC::ex f, d, v;
    clock::time_point t0, t1, t2, t3;
    try {
        t0 = clock::now();
        GiNaC::symtab table;
        table["x"] = x;
        GiNaC::parser reader(table);
        f = reader(text);
        t1 = clock::now();
        d = f.diff(x, static_cast<unsigned>(order));
        t2 = clock::now();
        v = d.subs(x == GiNaC::numeric(at)).evalf();
        t3 = clock::now();
    } catch (const std::exception &e) {
        std::cerr << "bench_ginac: " << e.what() << "\n";
        return 1;
    }

    if (!GiNaC::is_a<GiNaC::numeric>(v)) {
        std::cerr << "bench_ginac: the derivative did not evaluate to a number: " << v << "\n";
        return 1;
    }
    double value = GiNaC::ex_to<GiNaC::numeric>(v).to_double();
    auto ns = [](clock::duration dt) {
        return static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(dt).count());
    };
    std::printf("value %.17g\ninproc_ns %lld\ndiff_ns %lld\neval_ns %lld\nparse_ns %lld\n", value,
                ns(t3 - t1), ns(t2 - t1), ns(t3 - t2), ns(t1 - t0));
    return 0;
}
