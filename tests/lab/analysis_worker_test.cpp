// Analyses in a Web Worker, without a browser: a lesson's analysis posted to the worker's side
// (in-process, through the same bytes) gives exactly the result the page's own job gives; the
// mirror shows its progress, cancels the worker's job when dropped, reports a bad request's
// message, and a worker that dies hands the analysis back to the page's frames.
#include "lab/analysis_worker.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "fake_analysis_runner.hpp"
#include "fake_host.hpp"
#include "lessons/layers/layers_sensitivity_lesson.hpp"

namespace quantlab {
namespace {

using test::FakeAnalysisRunner;

// sklearn's digits scaled to [-1, 1] and a 64-24-10 network trained on it for a few epochs.
struct Trained {
    qlab::Split split;
    qlab::Model model;
};
const Trained& trained() {
    static const Trained t = [] {
        Trained out;
        qlab::DataSpecOptions where;
        where.data_dir = QLAB_DATA_DIR;
        auto digits = qlab::load_data_spec("sklearn:digits", where);
        EXPECT_TRUE(digits.ok()) << digits.status().message();
        if (!digits) return out;
        out.split = qlab::split_dataset(*digits, 0.2, 1);
        const qlab::Dataset reference = out.split.train;
        qlab::normalize(out.split.train, reference, qlab::Normalization::scale_to_unit_range);
        qlab::normalize(out.split.test, reference, qlab::Normalization::scale_to_unit_range);
        out.model = qlab::make_model("mlp:64-24-10", 64, 10, 3).value();
        qlab::TrainOptions o;
        o.epochs = 3;
        o.batch = 32;
        EXPECT_TRUE(qlab::train_model(out.model, out.split.train, nullptr, o).ok());
        return out;
    }();
    return t;
}

// Every number of two sensitivity results, bit for bit (an infinite SQNR equals itself).
void expect_same(const qlab::SensitivityResult& a, const qlab::SensitivityResult& b) {
    EXPECT_EQ(a.float_accuracy, b.float_accuracy);
    EXPECT_EQ(a.rows, b.rows);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const qlab::LayerSensitivity &x = a.layers[i], &y = b.layers[i];
        EXPECT_EQ(x.layer, y.layer);
        EXPECT_EQ(x.description, y.description);
        EXPECT_EQ(x.accuracy, y.accuracy);
        EXPECT_EQ(x.accuracy_drop, y.accuracy_drop);
        EXPECT_EQ(x.measured_sqnr_db, y.measured_sqnr_db);
        EXPECT_EQ(x.predicted_sqnr_db, y.predicted_sqnr_db);
        EXPECT_EQ(x.weight_sqnr_db, y.weight_sqnr_db);
        EXPECT_EQ(x.activation_sqnr_db, y.activation_sqnr_db);
    }
}

using SensitivityAnalysis = BackgroundAnalysis<qlab::SensitivityJob, qlab::SensitivityResult>;

qlab::SensitivityOptions sensitivity_options() {
    qlab::SensitivityOptions o;
    o.weights = "fixed:w=4,f=2";
    o.max_rows = 200;
    return o;
}

TEST(AnalysisWorker, SensitivityInTheWorkerEqualsThePagesOwnJobAndShowsItsProgress) {
    const Trained& t = trained();
    const qlab::SensitivityOptions o = sensitivity_options();
    auto local = qlab::layer_sensitivity(t.model, t.split.test, o);
    ASSERT_TRUE(local.ok()) << local.status().message();
    ASSERT_EQ(local->layers.size(), 2u);

    double now = 0;
    FakeAnalysisRunner runner(&now);
    SensitivityAnalysis a;
    bool made_here = false;
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(o)}, [&] {
        made_here = true;
        return std::make_unique<qlab::SensitivityJob>(t.model, t.split.test, o);
    });
    ASSERT_TRUE(a.in_worker());
    ScheduledJob sj = a.scheduled("per-layer sensitivity");
    EXPECT_TRUE(sj.elsewhere);  // the scheduler watches it and never steps it
    ASSERT_NE(sj.job, nullptr);
    EXPECT_TRUE(sj.job->running());
    EXPECT_EQ(sj.job->progress().done, 0);
    // One unit is one layer: the first message brings the first layer's row.
    runner.pump(1, 200);
    EXPECT_TRUE(a.job()->running());
    EXPECT_EQ(a.job()->progress().done, 1);
    EXPECT_EQ(a.result().layers.size(), 1u);
    runner.pump_all();
    EXPECT_EQ(a.job()->state(), qlab::JobState::finished);
    EXPECT_FALSE(runner.busy());
    EXPECT_EQ(runner.mirrors(), 0u);
    expect_same(a.result(), *local);
    EXPECT_FALSE(made_here);
}

TEST(AnalysisWorker, SakrInTheWorkerGivesTheSameAnalysisAndBounds) {
    const Trained& t = trained();
    qlab::SakrOptions o;
    o.samples = 60;
    o.batch = 10;
    qlab::SakrJob here(t.model, t.split.test, o);
    ASSERT_TRUE(qlab::run_job(here).ok());

    double now = 0;
    FakeAnalysisRunner runner(&now);
    BackgroundAnalysis<qlab::SakrJob, qlab::SakrAnalysis> a;
    a.start(&runner, {"sakr", &t.model, &t.split.test, qlab::to_bytes(o)},
            [&] { return std::make_unique<qlab::SakrJob>(t.model, t.split.test, o); });
    runner.pump_all();
    ASSERT_EQ(a.job()->state(), qlab::JobState::finished) << a.job()->status().message();
    const qlab::SakrAnalysis &x = a.result(), &y = here.result();
    EXPECT_EQ(x.e_a(), y.e_a());
    EXPECT_EQ(x.e_w(), y.e_w());
    EXPECT_EQ(x.samples(), y.samples());
    EXPECT_EQ(x.decisions(), y.decisions());
    EXPECT_EQ(x.pairs().size(), y.pairs().size());
    EXPECT_EQ(x.inputs(), y.inputs());
    for (int b : {3, 6, 9}) {
        const qlab::SakrBounds bx = x.bounds(b, b + 1), by = y.bounds(b, b + 1);
        EXPECT_EQ(bx.thm1, by.thm1) << b;
        EXPECT_EQ(bx.thm2, by.thm2) << b;
        EXPECT_EQ(bx.thm2_opt, by.thm2_opt) << b;
    }
}

// Kundu Tables 3-4 read a calibration set besides the model and the test data: the request
// carries only the rows the job reads (the first calibration_rows of 1438), and the result is the
// page's job's on the whole training split; options without a calibration set are refused.
TEST(AnalysisWorker, KunduTablesTakeTheirCalibrationRowsInTheRequest) {
    const Trained& t = trained();
    qlab::KunduTablesOptions o;
    o.block = 16;
    o.scales = 4;
    ASSERT_GT(t.split.train.size(), o.calibration_rows);
    qlab::KunduTablesJob here(t.model, t.split.test, t.split.train, o);
    ASSERT_TRUE(qlab::run_job(here).ok());

    double now = 0;
    FakeAnalysisRunner runner(&now);
    BackgroundAnalysis<qlab::KunduTablesJob, qlab::KunduTablesResult> a;
    const std::string request =
        qlab::to_bytes(qlab::KunduTablesRequest{o, qlab::first_rows(t.split.train, 1000)});
    a.start(&runner, {"kundu-tables", &t.model, &t.split.test, request}, nullptr);
    runner.pump_all();
    ASSERT_EQ(a.job()->state(), qlab::JobState::finished) << a.job()->status().message();
    const qlab::KunduTablesResult &x = a.result(), &y = here.result();
    EXPECT_EQ(x.float_accuracy, y.float_accuracy);
    EXPECT_EQ(x.activation_accuracy, y.activation_accuracy);
    EXPECT_EQ(x.sensitivity, y.sensitivity);  // from the calibration rows
    EXPECT_EQ(x.activation_formats, y.activation_formats);
    ASSERT_EQ(x.schemes.size(), y.schemes.size());
    for (std::size_t i = 0; i < x.schemes.size(); ++i) {
        EXPECT_EQ(x.schemes[i].at_loss, y.schemes[i].at_loss);
        ASSERT_EQ(x.schemes[i].points.size(), 4u);
        for (std::size_t p = 0; p < 4; ++p) {
            EXPECT_EQ(x.schemes[i].points[p].accuracy, y.schemes[i].points[p].accuracy);
            EXPECT_EQ(x.schemes[i].points[p].compute, y.schemes[i].points[p].compute);
        }
    }
    // The options alone, and a calibration set of another width (the job's own message).
    a.start(&runner, {"kundu-tables", &t.model, &t.split.test, qlab::to_bytes(o)}, nullptr);
    runner.pump();
    EXPECT_EQ(a.job()->status().message(),
              "the worker could not start the analysis: not the bytes of a Kundu tables request");
    qlab::Dataset narrow;
    narrow.features = 3, narrow.classes = 10;
    narrow.x = {0, 0, 0}, narrow.y = {1};
    qlab::KunduTablesJob refused(t.model, t.split.test, narrow, o);
    ASSERT_EQ(refused.state(), qlab::JobState::failed);
    a.start(&runner,
            {"kundu-tables", &t.model, &t.split.test,
             qlab::to_bytes(qlab::KunduTablesRequest{o, narrow})},
            nullptr);
    runner.pump();
    EXPECT_EQ(a.job()->state(), qlab::JobState::failed);
    EXPECT_EQ(a.job()->status().message(), refused.status().message());
}

TEST(AnalysisWorker, DroppingTheMirrorCancelsTheWorkersJob) {
    const Trained& t = trained();
    const qlab::SensitivityOptions o = sensitivity_options();
    double now = 0;
    FakeAnalysisRunner runner(&now);
    SensitivityAnalysis a;
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(o)}, nullptr);
    EXPECT_TRUE(runner.busy());
    a.reset();
    EXPECT_EQ(runner.cancelled, runner.started);
    EXPECT_FALSE(runner.busy());
    // A new start while one runs replaces it: the old one is cancelled in the worker.
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(o)}, nullptr);
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(o)}, nullptr);
    EXPECT_EQ(runner.cancelled.size(), 2u);
    runner.pump_all();
    EXPECT_EQ(a.job()->state(), qlab::JobState::finished);
    // A mirror cancelled by the page stops the worker's job at its next message.
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(o)}, nullptr);
    a.job()->cancel();
    runner.pump();
    EXPECT_FALSE(runner.busy());
    EXPECT_EQ(a.job()->state(), qlab::JobState::cancelled);
}

TEST(AnalysisWorker, ABadRequestFailsWithItsMessageAndTheJobsOwnErrorsComeBack) {
    const Trained& t = trained();
    double now = 0;
    FakeAnalysisRunner runner(&now);
    SensitivityAnalysis a;
    a.start(&runner, {"no-such-analysis", &t.model, &t.split.test, ""}, nullptr);
    runner.pump();
    ASSERT_EQ(a.job()->state(), qlab::JobState::failed);
    EXPECT_EQ(a.job()->status().message(),
              "the worker could not start the analysis: no analysis is called "
              "\"no-such-analysis\"");
    // Options of another kind.
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(qlab::SakrOptions{})},
            nullptr);
    runner.pump();
    EXPECT_EQ(a.job()->status().message(),
              "the worker could not start the analysis: not the bytes of sensitivity options");
    // The job's own refusal (a format that does not parse) reads as it would in the page.
    qlab::SensitivityOptions bad = sensitivity_options();
    bad.weights = "fixed:w=0";
    qlab::SensitivityJob here(t.model, t.split.test, bad);
    ASSERT_EQ(here.state(), qlab::JobState::failed);
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(bad)}, nullptr);
    runner.pump();
    EXPECT_EQ(a.job()->state(), qlab::JobState::failed);
    EXPECT_EQ(a.job()->status().message(), here.status().message());
    // A request cut short.
    AnalysisWorker w([] { return 0.0; });
    const std::string bytes = request_to_bytes({"sensitivity", &t.model, &t.split.test, ""});
    w.start(7, std::string_view(bytes).substr(0, bytes.size() / 2));
    const auto out = w.step(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].id, 7);
    EXPECT_EQ(out[0].state, qlab::JobState::failed);
    EXPECT_EQ(out[0].message, "the worker could not start the analysis: its request is cut short");
}

TEST(AnalysisWorker, AWorkerThatDiesHandsTheAnalysisBackToThePage) {
    const Trained& t = trained();
    const qlab::SensitivityOptions o = sensitivity_options();
    double now = 0;
    FakeAnalysisRunner runner(&now);
    SensitivityAnalysis a;
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(o)},
            [&] { return std::make_unique<qlab::SensitivityJob>(t.model, t.split.test, o); });
    runner.pump(1, 200);
    runner.kill("out of memory");
    qlab::Job* job = a.job();  // the page's own job now, from the start
    EXPECT_FALSE(a.in_worker());
    ASSERT_NE(job, nullptr);
    EXPECT_EQ(job->progress().done, 0);
    ASSERT_TRUE(qlab::run_job(*job).ok());
    expect_same(a.result(), *qlab::layer_sensitivity(t.model, t.split.test, o));
    // Without a ready worker it runs here from the start.
    runner.up = false;
    a.start(&runner, {"sensitivity", &t.model, &t.split.test, qlab::to_bytes(o)},
            [&] { return std::make_unique<qlab::SensitivityJob>(t.model, t.split.test, o); });
    EXPECT_FALSE(a.in_worker());
    EXPECT_FALSE(a.scheduled("x").elsewhere);
}

TEST(AnalysisWorker, MessagesRoundTripAndRefuseCutBytes) {
    AnalysisMessage m;
    m.id = 42;
    m.state = qlab::JobState::failed;
    m.progress = {"layer 2 of 3", 2, 3};
    m.message = "why";
    m.result = std::string("\0\1\2", 3);
    const std::string bytes = message_to_bytes(m);
    auto back = message_from_bytes(bytes);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->id, 42);
    EXPECT_EQ(back->state, qlab::JobState::failed);
    EXPECT_EQ(back->progress.stage, "layer 2 of 3");
    EXPECT_EQ(back->progress.done, 2);
    EXPECT_EQ(back->progress.total, 3);
    EXPECT_EQ(back->message, "why");
    EXPECT_EQ(back->result, m.result);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
        EXPECT_FALSE(message_from_bytes(std::string_view(bytes).substr(0, cut)).ok()) << cut;
}

// The Layers lesson's sensitivity runs in the worker when the host has one, and shows the same
// rows as without it.
TEST(AnalysisWorker, TheLayersLessonsSensitivityRunsThereWithTheSameRows) {
    auto rows_with = [](bool worker, bool* ran_in_worker) {
        test::FakeHost host;
        FakeAnalysisRunner runner(&host.now);
        if (worker) host.analyses = &runner;
        SharedModel m(host);
        const qlab::LabState s = test::state_with({{"panel", "layers"},
                                                   {"data", "spiral"},
                                                   {"hidden", "12-8"},
                                                   {"lview", "sensitivity"},
                                                   {"sweights", "fixed:w=4,f=2"}});
        m.sync(s);
        test::train_batches(m, s, 30);
        layers::Sensitivity sens;
        sens.update(s, m);
        *ran_in_worker = sens.in_worker();
        for (int i = 0; i < 100000 && sens.running(); ++i) {
            ScheduledJob j = sens.scheduled("per-layer sensitivity");
            if (j.elsewhere)
                runner.pump();
            else
                j.job->step(1);
        }
        EXPECT_TRUE(sens.done()) << sens.problem();
        return sens.sorted();
    };
    bool in_worker = false, in_page = true;
    const auto there = rows_with(true, &in_worker);
    const auto here = rows_with(false, &in_page);
    EXPECT_TRUE(in_worker);
    EXPECT_FALSE(in_page);
    qlab::SensitivityResult a, b;
    a.layers = there, b.layers = here;
    ASSERT_EQ(a.layers.size(), 3u);
    expect_same(a, b);
}

}  // namespace
}  // namespace quantlab
