// Lin et al. 2016 beside its printed tables: Table 3's layers (and the output maps Table 5 gives
// them), Table 6's cases with their model sizes recomputed, and the "> 20% smaller for the same
// performance" of §5.2 as pairs of an optimised and an equal-width allocation, on Table 6 or on a
// learner's measured trade-off (TradeoffResult).
#pragma once

#include <string>
#include <vector>

#include "qlab/lin.hpp"

namespace qlab {

// Table 3: input and output channels, output maps, filter size, parameters (10^6) as printed.
struct LinLayerRow {
    std::string name;
    int in = 0, out = 0, maps = 0, kernel = 0;
    double params_printed = 0;  // 10^6
    long long weights() const;  // in x out x kernel^2 (fc0: in x maps_in^2 x out, see below)
};
const std::vector<LinLayerRow>& lin_table3();
// Table 5's convolutions (kernel, stride, padding) from a square input: each output side is
// (side + 2 pad - kernel) / stride + 1, rounded up (ceil) or down. From 24 x 24 (the crops of
// 32 x 32 images) rounding up gives Table 3's column 22, 12, 10, 8, 5, 2; rounding down gives
// 22, 11, 9, 7, 4, 1.
std::vector<int> lin_output_maps(int input_side, bool round_up);
// fc0's weights: conv5's 128 maps of 2 x 2 to 10 classes, 5,120 (Table 3's 0.005 M).
long long lin_fc0_weights();
long long lin_conv_weights();  // conv0..conv5, 3,382,016

// Table 6 as printed: per-layer weight bits of conv0..conv5, model size (10^6 bits), error (%).
struct LinTable6Case {
    int id = 0;
    std::vector<int> bits;
    double size_printed = 0, error = 0;
    bool optimised = false;  // cases 7-13 follow Table 4's offsets
};
const std::vector<LinTable6Case>& lin_table6();
double lin_model_size_mbit(const std::vector<int>& conv_bits);  // sum of weights x bits / 10^6

// An optimised allocation beside the smallest equal-width one whose error is within `tolerance`
// of its error (the same performance, either way): how much smaller the optimised one is.
struct LinSaving {
    std::size_t optimised = 0, equal = 0;  // indices into the points given
    double saving = 0;                     // 1 - size(optimised) / size(equal)
    double error_difference = 0;           // error(optimised) - error(equal)
};
struct LinPoint {
    bool optimised = false;
    double size = 0, error = 0;
};
// One pair per optimised point that some equal-width point matches; none when it is not smaller.
std::vector<LinSaving> lin_savings(const std::vector<LinPoint>& points, double tolerance);
std::vector<LinPoint> lin_points(const std::vector<LinTable6Case>& cases);
std::vector<LinPoint> lin_points(const TradeoffResult& tradeoff);

}  // namespace qlab
