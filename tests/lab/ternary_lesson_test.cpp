// The Ternary lesson's logic without a browser: an untrained model gets neither Kundu's
// residuals nor the Pareto frontier (a 1-bit codebook "beating" float32 on random weights was a
// bug), and a trained one gets what the core's TernaryResidualJob gives.
#include "lessons/ternary/ternary_lesson.hpp"

#include <gtest/gtest.h>

#include "fake_host.hpp"

namespace quantlab {
namespace {

using test::FakeHost;
using test::state_with;

struct TernaryFixture : ::testing::Test {
    FakeHost host;
    SharedModel model{host};
    ternary::Analysis analysis;
    ternary::Frontier frontier;
    qlab::LabState s =
        state_with({{"panel", "ternary"}, {"data", "circle"}, {"hidden", "16"}, {"tblock", "8"}});
    void SetUp() override { model.sync(s); }
    ternary::AnalysisKey key() const {
        ternary::AnalysisKey k;
        k.version = model.version();
        k.block = 8;
        k.tolerance = s.ttol;
        return k;
    }
};

TEST_F(TernaryFixture, AnUntrainedModelGetsNoResidualsAndNoFrontier) {
    analysis.update(model, key(), 0);
    frontier.update(model, key(), true, 0);
    EXPECT_EQ(analysis.phase(), ternary::Analysis::Phase::untrained);
    EXPECT_EQ(analysis.job(), nullptr);
    EXPECT_STREQ(frontier.state(), "untrained");
    EXPECT_EQ(frontier.result(), nullptr);
}

TEST_F(TernaryFixture, ATrainedModelGetsTheCoresResidualLevels) {
    test::train_batches(model, s, 40);
    analysis.update(model, key(), 0);
    ASSERT_EQ(analysis.phase(), ternary::Analysis::Phase::running);
    ASSERT_NE(analysis.job(), nullptr);
    qlab::run_job(*analysis.job());
    analysis.poll(10);
    ASSERT_EQ(analysis.phase(), ternary::Analysis::Phase::finished);
    ASSERT_NE(analysis.result(), nullptr);
    EXPECT_TRUE(analysis.current());
    qlab::KunduOptions o;
    o.residual.block = 8;
    o.residual.tolerance = s.ttol;
    o.gain_x = ternary::kGainX;
    qlab::TernaryResidualJob direct(model.model(), model.data().split().test, o);
    qlab::run_job(direct);
    const qlab::KunduResult& r = *analysis.result();
    ASSERT_EQ(r.levels.size(), direct.result().levels.size());
    for (std::size_t i = 0; i < r.levels.size(); ++i) {
        EXPECT_DOUBLE_EQ(r.levels[i].accuracy, direct.result().levels[i].accuracy) << i;
        EXPECT_DOUBLE_EQ(r.levels[i].model_size_bits, direct.result().levels[i].model_size_bits);
    }
    EXPECT_DOUBLE_EQ(analysis.job_ms(), 10);
    // Another batch: the result stays, marked as for older weights, and a new job starts.
    model.step(s, 1);
    analysis.update(model, key(), 20);
    EXPECT_FALSE(analysis.current());
    EXPECT_EQ(analysis.phase(), ternary::Analysis::Phase::running);
}

TEST_F(TernaryFixture, TheFrontierRunsOnlyWhenItsViewIsOpen) {
    test::train_batches(model, s, 40);
    frontier.update(model, key(), false, 0);
    EXPECT_STREQ(frontier.state(), "idle");
    frontier.update(model, key(), true, 0);
    EXPECT_STREQ(frontier.state(), "running");
    EXPECT_TRUE(frontier.current());
}

}  // namespace
}  // namespace quantlab

namespace quantlab {
namespace {

TEST_F(TernaryFixture, XIsASettingThePowerFiguresUse) {
    test::train_batches(model, s, 40);
    ternary::AnalysisKey k = key();
    k.gain_x = 3;
    analysis.update(model, k, 0);
    ASSERT_NE(analysis.job(), nullptr);
    qlab::run_job(*analysis.job());
    analysis.poll(10);
    ASSERT_NE(analysis.result(), nullptr);
    // pi = X / (C (X/N + 1)) with the lesson's X, not 5.5.
    for (const qlab::KunduLevel& l : analysis.result()->levels)
        EXPECT_NEAR(l.power_performance, 3 / (l.compute * (3.0 / 8 + 1)), 1e-12);
    k.gain_x = 5.5;  // another X is another analysis
    analysis.update(model, k, 20);
    EXPECT_FALSE(analysis.current());
}

TEST_F(TernaryFixture, KunduTablesAreTheCoresJobOnTheSameSplit) {
    ternary::Tables tables;
    ternary::AnalysisKey k = key();
    k.gain_x = 4;
    tables.update(model, k, true, 0);
    EXPECT_STREQ(tables.state(), "untrained");
    test::train_batches(model, s, 40);
    k.version = model.version();
    tables.update(model, k, false, 0);
    EXPECT_STREQ(tables.state(), "idle");  // only when the view is open
    tables.update(model, k, true, 0);
    ASSERT_NE(tables.job(), nullptr);
    qlab::run_job(*tables.job());
    tables.poll(10);
    ASSERT_NE(tables.result(), nullptr);
    EXPECT_TRUE(tables.current());
    // qlab ternary-tables: test = the held-out split, calibration = the training split, 8-bit
    // activations, N and X from the lesson.
    qlab::KunduTablesOptions o;
    o.block = 8;
    o.gain_x = 4;
    EXPECT_EQ(tables.options().activation_bits, 8);
    qlab::KunduTablesJob direct(model.model(), model.data().split().test,
                                model.data().split().train, o);
    qlab::run_job(direct);
    const qlab::KunduTablesResult& a = *tables.result();
    const qlab::KunduTablesResult& b = direct.result();
    EXPECT_DOUBLE_EQ(a.float_accuracy, b.float_accuracy);
    EXPECT_DOUBLE_EQ(a.activation_accuracy, b.activation_accuracy);
    ASSERT_EQ(a.schemes.size(), 3u);
    for (std::size_t i = 0; i < a.schemes.size(); ++i) {
        EXPECT_EQ(a.schemes[i].at_loss, b.schemes[i].at_loss);
        ASSERT_EQ(a.schemes[i].points.size(), b.schemes[i].points.size());
        for (std::size_t p = 0; p < a.schemes[i].points.size(); ++p) {
            const qlab::KunduTablePoint& x = a.schemes[i].points[p];
            EXPECT_DOUBLE_EQ(x.compute, b.schemes[i].points[p].compute);
            EXPECT_DOUBLE_EQ(x.blocks, b.schemes[i].points[p].blocks);
            EXPECT_NEAR(x.power_performance, 4 / (x.compute * (4.0 / 8 + 1)), 1e-12);
        }
    }
    // Another N is another job; a new X too.
    k.gain_x = 5;
    tables.update(model, k, true, 20);
    EXPECT_FALSE(tables.current() && tables.result());
}

}  // namespace
}  // namespace quantlab
