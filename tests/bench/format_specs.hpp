// The formats both format benchmarks time (Google Benchmark natively, the timed harness in
// WebAssembly), listed once so the two reports compare the same formats.
#pragma once

#include <cstring>

namespace qlab::bench {

inline const char* const kFormatSpecs[] = {
    "fixed:w=8,f=4",
    "fixed:w=16,f=8",
    "ufixed:w=8,f=4",
    "float:e=5,m=10",
    "float:e=8,m=7",
    "float:e=4,m=3",
    "float:e=5,m=10,sat=1",
    "int:b=8,scale=0.05",
    "lattice:range=4,points=256",
    "ternary:alpha=1",
    "ternary:block=64",
    "binary:block=64",
    "bfp:w=8,block=16",
    "codebook:values=-2;-1;-0.5;0;0.5;1;2",
    // OCP element types (issue 10: within 2x of the float fast path) and the block-scaled formats.
    "fp8:e4m3",
    "fp8:e4m3,sat=1",
    "fp8:e5m2",
    "fp8:e4m3fnuz",
    "fp6:e2m3",
    "fp6:e3m2",
    "fp4:e2m1",
    "e8m0",
    "mxfp8:e4m3",
    "mxfp8:e5m2",
    "mxfp6:e2m3",
    "mxfp6:e3m2",
    "mxfp4",
    "mxint8",
    "nvfp4",
    "int:b=4,group=128",
    "int:b=4,group=32,asym=1",
    "int:b=8,group=128",
};

// Issue 19: the block-scaled formats against the float fast path, per value, in the same run and
// the same rounding mode (nearest-even and stochastic). MX at most 1.5x, the others at most 2x.
inline const char* const kRatioBaseline = "float:e=5,m=10";
inline const char* const kRatioSpecs[] = {
    "mxfp8:e4m3",
    "mxfp8:e5m2",
    "mxfp6:e2m3",
    "mxfp6:e3m2",
    "mxfp4",
    "mxint8",
    "nvfp4",
    "int:b=4,group=128",
    "int:b=4,group=32,asym=1",
    "int:b=8,group=128",
};
inline double ratio_target(const char* spec) {
    return std::strncmp(spec, "mx", 2) == 0 ? 1.5 : 2.0;
}

}  // namespace qlab::bench
