// Lin §5.3 fine-tuning within per-layer formats: the formats are Lin's, the errors are what an
// independent evaluation in those formats gives, the job is resumable, and on sklearn's digits
// fine-tuning recovers accuracy that 3-bit weights lost (Lin's Table 2 effect).
#include "qlab/finetune.hpp"

#include <gtest/gtest.h>

#include "training_support.hpp"

namespace qlab {
namespace {

Model trained_digits_mlp(const Split& s) {
    Model m = *make_model("mlp:64-32-10:act=relu", 64, 10, 3);
    TrainOptions t;
    t.epochs = 12;
    t.learning_rate = 3e-3f;
    EXPECT_TRUE(train_model(m, s.train, &s.test, t).ok());
    return m;
}

TEST(finetune, FormatsAreLinsAndErrorsAreMeasuredInThem) {
    const auto s = test::scaled_digits();
    if (!s) GTEST_SKIP() << "sklearn digits not installed";
    const Model m = trained_digits_mlp(*s);
    FineTuneOptions o;
    o.weight_bits = 3;
    o.activation_bits = 6;
    o.train.epochs = 4;
    o.train.learning_rate = 3e-4f;
    auto r = lin_finetune(m, s->train, s->test, o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->formats.size(), 2u);
    auto doubles = [](const Matrix& w) {
        return std::vector<double>(w.data(), w.data() + w.size());
    };
    EXPECT_EQ(r->formats[0].weights, lin_fixed_format(doubles(m.layers[0].weight), 3));
    EXPECT_EQ(r->formats[1].weights, lin_fixed_format(doubles(m.layers[1].weight), 3));
    Dataset calibration = s->train;  // the first 1000 training rows, as the job's default
    calibration.x.resize(1000 * 64);
    calibration.y.resize(1000);
    EXPECT_EQ(r->formats[0].activations,
              lin_fixed_format(doubles(hidden_outputs(m, calibration, 0, 1000)), 6));
    EXPECT_EQ(r->formats[1].activations, "") << "the logits are not quantized";
    EvalOptions eval;
    eval.layers = r->formats;
    EXPECT_DOUBLE_EQ(r->float_error, 1 - accuracy(m, s->test));
    EXPECT_DOUBLE_EQ(r->quantized_error, 1 - accuracy(m, s->test, eval));
    EXPECT_DOUBLE_EQ(r->finetuned_error, 1 - accuracy(r->model, s->test, eval));
    ASSERT_EQ(r->epoch_errors.size(), 4u);
    EXPECT_EQ(r->epoch_errors.back(), r->finetuned_error);
    // 3-bit weights cost accuracy; fine-tuning within the same formats wins some of it back.
    EXPECT_GT(r->quantized_error, r->float_error + 0.005);
    EXPECT_LT(r->finetuned_error, r->quantized_error);
}

TEST(finetune, JobIsResumableAndZeroEpochsChangesNothing) {
    const auto s = test::scaled_digits();
    if (!s) GTEST_SKIP() << "sklearn digits not installed";
    const Model m = trained_digits_mlp(*s);
    FineTuneOptions o;
    o.train.epochs = 1;
    FineTuneJob a(m, s->train, s->test, o), b(m, s->train, s->test, o);
    while (a.step(1)) {
    }
    while (b.step(7)) {
    }
    ASSERT_EQ(a.state(), JobState::finished);
    EXPECT_EQ(a.result().finetuned_error, b.result().finetuned_error);
    EXPECT_TRUE(a.result().model.layers[0].weight.isApprox(b.result().model.layers[0].weight, 0));
    o.train.epochs = 0;
    auto r = lin_finetune(m, s->train, s->test, o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->finetuned_error, r->quantized_error);
    EXPECT_TRUE(r->epoch_errors.empty());
}

TEST(finetune, BadWidthsAndShapesAreRefused) {
    const auto s = test::scaled_digits();
    if (!s) GTEST_SKIP() << "sklearn digits not installed";
    const Model m = *make_model("mlp:64-8-10", 64, 10, 1);
    FineTuneOptions o;
    o.weight_bits = 1;
    FineTuneJob bad_bits(m, s->train, s->test, o);
    EXPECT_EQ(bad_bits.state(), JobState::failed);
    EXPECT_NE(bad_bits.status().message().find("2 to 24 bits"), std::string::npos);
    const Model wide = *make_model("mlp:32-8-10", 32, 10, 1);
    FineTuneJob bad_shape(wide, s->train, s->test, {});
    EXPECT_EQ(bad_shape.state(), JobState::failed);
}

}  // namespace
}  // namespace qlab
