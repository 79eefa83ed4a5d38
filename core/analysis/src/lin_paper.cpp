// Lin et al. 2016's Tables 3, 5 and 6 and the "> 20%" claim (see lin_paper.hpp).
#include "qlab/lin_paper.hpp"

#include <cmath>

namespace qlab {

long long LinLayerRow::weights() const {
    if (name == "fc0") return lin_fc0_weights();
    return static_cast<long long>(in) * out * kernel * kernel;
}

const std::vector<LinLayerRow>& lin_table3() {
    static const std::vector<LinLayerRow> rows = {
        {"conv0", 3, 256, 22, 3, 0.007},   {"conv1", 256, 128, 12, 3, 0.295},
        {"conv2", 128, 256, 10, 3, 0.295}, {"conv3", 256, 256, 8, 3, 0.590},
        {"conv4", 256, 256, 5, 3, 0.590},  {"conv5", 256, 128, 2, 7, 1.606},
        {"fc0", 128, 10, 1, 1, 0.005},
    };
    return rows;
}

std::vector<int> lin_output_maps(int side, bool round_up) {
    // Table 5: kernel, stride, padding of conv0..conv5.
    const int k[] = {3, 3, 3, 3, 3, 7}, s[] = {1, 2, 1, 1, 2, 5}, p[] = {0, 1, 0, 0, 1, 2};
    std::vector<int> maps;
    for (int l = 0; l < 6; ++l) {
        const int span = side + 2 * p[l] - k[l];
        side = (round_up ? (span + s[l] - 1) / s[l] : span / s[l]) + 1;
        maps.push_back(side);
    }
    return maps;
}

long long lin_fc0_weights() {
    const int conv5_side = lin_output_maps(24, true).back();  // 2
    return 128LL * conv5_side * conv5_side * 10;
}

long long lin_conv_weights() {
    long long n = 0;
    for (const LinLayerRow& r : lin_table3())
        if (r.name != "fc0") n += r.weights();
    return n;
}

const std::vector<LinTable6Case>& lin_table6() {
    static const std::vector<LinTable6Case> cases = {
        {1, {9, 9, 9, 9, 9, 9}, 30.44, 6.91, false},
        {2, {8, 8, 8, 8, 8, 8}, 27.06, 6.85, false},
        {3, {7, 7, 7, 7, 7, 7}, 23.67, 7.47, false},
        {4, {6, 6, 6, 6, 6, 6}, 20.29, 7.81, false},
        {5, {5, 5, 5, 5, 5, 5}, 16.91, 8.15, false},
        {6, {4, 4, 4, 4, 4, 4}, 13.53, 15.04, false},
        {7, {16, 11, 11, 10, 10, 8}, 31.24, 6.88, true},
        {8, {15, 10, 10, 9, 9, 7}, 27.86, 6.95, true},
        {9, {14, 9, 9, 8, 8, 6}, 24.48, 6.97, true},
        {10, {13, 8, 8, 7, 7, 5}, 21.09, 6.94, true},
        {11, {12, 7, 7, 6, 6, 4}, 17.71, 7.61, true},
        {12, {11, 6, 6, 5, 5, 3}, 14.33, 7.61, true},
        {13, {10, 5, 5, 4, 4, 2}, 10.95, 10.06, true},
    };
    return cases;
}

double lin_model_size_mbit(const std::vector<int>& bits) {
    double s = 0;
    const auto& rows = lin_table3();
    for (std::size_t l = 0; l < bits.size() && l < 6; ++l)
        s += static_cast<double>(rows[l].weights()) * bits[l];
    return s / 1e6;
}

std::vector<LinSaving> lin_savings(const std::vector<LinPoint>& points, double tolerance) {
    std::vector<LinSaving> out;
    for (std::size_t o = 0; o < points.size(); ++o) {
        if (!points[o].optimised) continue;
        int best = -1;
        for (std::size_t e = 0; e < points.size(); ++e) {
            if (points[e].optimised ||
                std::fabs(points[e].error - points[o].error) > tolerance + 1e-12)
                continue;
            if (best < 0 || points[e].size < points[static_cast<std::size_t>(best)].size)
                best = static_cast<int>(e);
        }
        if (best < 0) continue;
        const LinPoint& e = points[static_cast<std::size_t>(best)];
        if (!(points[o].size < e.size)) continue;
        out.push_back({o, static_cast<std::size_t>(best), 1 - points[o].size / e.size,
                       points[o].error - e.error});
    }
    return out;
}

std::vector<LinPoint> lin_points(const std::vector<LinTable6Case>& cases) {
    std::vector<LinPoint> p;
    for (const LinTable6Case& c : cases) p.push_back({c.optimised, c.size_printed, c.error});
    return p;
}

std::vector<LinPoint> lin_points(const TradeoffResult& t) {
    std::vector<LinPoint> p;
    for (const TradeoffPoint& q : t.points)
        p.push_back({q.optimised, q.model_size_bits / 1e6, 100 * q.error});
    return p;
}

}  // namespace qlab
