// The Kundu lesson's extra figures by hand: alpha multiplications per example (blocks that cross a
// row feed two outputs), the r_i histogram, and Table 2's FGQ row against level 0 of Algorithm 2.
#include <gtest/gtest.h>

#include "qlab/kundu.hpp"

namespace qlab {
namespace {

Model dense_2x4(const std::vector<float>& w) {
    Model m;
    Layer L;
    L.in = 4, L.out = 2;
    L.weight = Matrix(2, 4);
    for (int i = 0; i < 8; ++i) L.weight.data()[i] = w[static_cast<std::size_t>(i)];
    L.bias = Vector::Zero(2);
    m.layers.push_back(L);
    return m;
}

KunduResult one_layer(const Model& m, std::size_t block, double tolerance) {
    const Matrix& w = m.layers[0].weight;
    KunduResult r;
    KunduLayer kl;
    kl.layer = 0;
    ResidualOptions o;
    o.block = block, o.tolerance = tolerance;
    kl.tensor = ternary_residual(std::vector<double>(w.data(), w.data() + w.size()), o);
    r.layers.push_back(kl);
    return r;
}

// Row-major 2 x 4: blocks of 2 stay in one row, so level 0 costs one alpha per block (4) against
// 8 MACs. Blocks of 3 are [0,3) in row 0, [3,6) across rows 0 and 1, [6,8) in row 1: 1 + 2 + 1.
TEST(KunduLab, MultiplicationsCountRowsEachBlockFeeds) {
    const Model m = dense_2x4({1, -1, 0.5f, 0.25f, -2, 1, 0.125f, 1});
    const KunduCost two = kundu_cost(m, one_layer(m, 2, 1.0), 0);
    EXPECT_EQ(two.macs, 8);
    EXPECT_EQ(two.multiplications, 4);
    EXPECT_EQ(two.reduction(), 2);
    const KunduCost three = kundu_cost(m, one_layer(m, 3, 1.0), 0);
    EXPECT_EQ(three.multiplications, 4);
    const KunduCost whole = kundu_cost(m, one_layer(m, 8, 1.0), 0);
    EXPECT_EQ(whole.multiplications, 2);  // one block over both rows: one alpha per output
}

// Every kept residual term adds its block's rows; level L keeps min(L, r_i) residuals per block.
TEST(KunduLab, MultiplicationsGrowWithTheLevelAsTheTermsKept) {
    const Model m = dense_2x4({1, -0.3f, 0.07f, 0.011f, -2, 0.9f, 0.2f, 0.03f});
    const KunduResult r = one_layer(m, 2, 1e-3);
    const ResidualTensor& t = r.layers[0].tensor;
    ASSERT_GT(t.max_residuals(), 0);
    for (int level = 0; level <= t.max_residuals(); ++level) {
        double terms = 0;
        for (const ResidualBlock& b : t.blocks) terms += 1 + std::min(level, b.residuals());
        EXPECT_EQ(kundu_cost(m, r, level).multiplications, terms) << level;
        // Blocks of 2 in rows of 4: C (block-length weighted) is terms / blocks here.
        EXPECT_DOUBLE_EQ(t.compute_factor(level), terms / static_cast<double>(t.blocks.size()));
    }
    EXPECT_EQ(kundu_weights(r), 8u);
}

TEST(KunduLab, ResidualHistogramAndTable2Rows) {
    const Model m = dense_2x4({1, -0.3f, 0.07f, 0.011f, -2, 0.9f, 0.2f, 0.03f});
    const KunduResult r = one_layer(m, 2, 1e-3);
    const ResidualTensor& t = r.layers[0].tensor;
    const std::vector<long long> h = residual_histogram(t);
    ASSERT_EQ(h.size(), static_cast<std::size_t>(t.max_residuals()) + 1);
    long long blocks = 0, residuals = 0;
    for (std::size_t k = 0; k < h.size(); ++k)
        blocks += h[k], residuals += h[k] * static_cast<long long>(k);
    EXPECT_EQ(blocks, 4);
    EXPECT_EQ(residuals, static_cast<long long>(t.order.size()));  // one per Algorithm 2 step
    EXPECT_GT(h.back(), 0);

    // FGQ, k = 4 blocks of n = 8 weights: 8k + 2n = 48 bits, 2k + 1 = 9 values, 4 alphas; the
    // residual row's level 0 (every r_i = 0) would be (8 + 2n/k) k = 48 as well.
    const Table2Row f = fgq_row(t);
    EXPECT_EQ(f.model_size_bits, 48);
    EXPECT_EQ(f.capacity, 9);
    EXPECT_EQ(f.scale_factors, 4);
    const Table2Row res = residual_row(t);
    EXPECT_EQ(res.model_size_bits, (8 + 2 * 2) * static_cast<double>(t.scale_factors()));
    EXPECT_GT(res.capacity, f.capacity);
    const ResidualTensor plain = one_layer(m, 2, 1.0).layers[0].tensor;
    EXPECT_EQ(plain.model_size_bits(), f.model_size_bits);
    EXPECT_EQ(residual_histogram(plain), (std::vector<long long>{4}));
}

}  // namespace
}  // namespace qlab
