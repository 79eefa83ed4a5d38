// Lab state: the property table to and from URL queries, validation and messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "qlab/lab_state.hpp"

namespace qlab {
namespace {

TEST(LabState, DefaultsRoundTripThroughTheQuery) {
    const LabState defaults;
    const std::string q = to_query(defaults);
    // The shared keys and the open panel's keys only.
    EXPECT_EQ(q,
              "panel=formats&theme=light&seed=1&format=fixed:w=8,f=4&rounding=rne&x=0.3&y=-0.7&lo=-"
              "2&hi=2");
    LabState back;
    back.x = 99;
    EXPECT_TRUE(apply_query(q, back).empty());
    EXPECT_EQ(back, defaults);
}

TEST(LabState, IssueExampleUrl) {
    LabState s;
    EXPECT_TRUE(apply_query("?panel=formats&format=fixed:w=4,f=2&x=0.3", s).empty());
    EXPECT_EQ(s.format, "fixed:w=4,f=2");
    EXPECT_EQ(s.x, 0.3);
}

TEST(LabState, PercentEncodingBothWays) {
    LabState s;
    ASSERT_TRUE(set_property(s, "format", "float:e=5,m=10,sub=0").ok());
    const std::string q = to_query(s);
    EXPECT_NE(q.find("format=float:e=5,m=10,sub=0&"), std::string::npos);
    LabState t;
    EXPECT_TRUE(apply_query("format=float%3Ae%3D4%2Cm%3D3&x=%2D0.5", t).empty());
    EXPECT_EQ(t.format, "float:e=4,m=3");
    EXPECT_EQ(t.x, -0.5);
    EXPECT_EQ(percent_encode("a b&c#d%"), "a%20b%26c%23d%25");
    EXPECT_EQ(percent_decode("a+b%2"), "a b%2");
}

TEST(LabState, BadValuesKeepThePreviousValueAndSayWhy) {
    LabState s;
    s.format = "float:e=5,m=10";
    const auto messages =
        apply_query("format=fixed:w=99,f=2&x=abc&panel=nope&rounding=fast&seed=1.5&bogus=1", s);
    ASSERT_EQ(messages.size(), 6u);
    EXPECT_NE(messages[0].find("key 'w' must be from 2 to 53"), std::string::npos) << messages[0];
    EXPECT_NE(messages[0].find("kept format=float:e=5,m=10"), std::string::npos) << messages[0];
    EXPECT_NE(messages[1].find("'abc' is not a finite number"), std::string::npos) << messages[1];
    EXPECT_NE(messages[2].find("unknown panel 'nope'"), std::string::npos) << messages[2];
    EXPECT_NE(messages[3].find("unknown rounding mode 'fast'"), std::string::npos) << messages[3];
    EXPECT_NE(messages[4].find("not an integer"), std::string::npos) << messages[4];
    EXPECT_NE(messages[5].find("unknown URL key 'bogus'"), std::string::npos) << messages[5];
    EXPECT_EQ(s.format, "float:e=5,m=10");
    EXPECT_EQ(s.x, LabState{}.x);
    EXPECT_EQ(s.panel, "formats");
}

TEST(LabState, NumberLineRangeIsCheckedAsAPair) {
    LabState s;
    EXPECT_TRUE(apply_query("lo=5&hi=10", s).empty());
    EXPECT_EQ(s.lo, 5);
    EXPECT_EQ(s.hi, 10);
    EXPECT_TRUE(apply_query("lo=-10&hi=-5", s).empty());
    EXPECT_EQ(s.lo, -10);
    const auto m = apply_query("lo=3&hi=1", s);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_NE(m[0].find("lo < hi"), std::string::npos);
    EXPECT_EQ(s.lo, -10);
    EXPECT_EQ(s.hi, -5);
    EXPECT_FALSE(set_property(s, "hi", "-20").ok());
    EXPECT_FALSE(set_property(s, "x", "nan").ok());
    EXPECT_FALSE(set_property(s, "x", "inf").ok());
    EXPECT_FALSE(set_property(s, "x", "").ok());
    EXPECT_FALSE(set_property(s, "nope", "1").ok());
}

TEST(LabState, EveryPropertyIsReachableFromTheQuery) {
    for (const Property& p : lab_properties()) {
        EXPECT_NE(find_property(p.key), nullptr);
        EXPECT_TRUE((p.text == nullptr) != (p.number == nullptr)) << p.key;
        EXPECT_TRUE(p.text == nullptr || p.validate_text != nullptr)
            << p.key << ": every text setting is validated";
        EXPECT_NE(to_query(LabState{}, true).find(std::string(p.key) + "="), std::string::npos);
        for (const std::string& owner : property_owners(p))
            EXPECT_NE(std::find(panel_names().begin(), panel_names().end(), owner),
                      panel_names().end())
                << p.key << " belongs to an unknown panel '" << owner << "'";
        EXPECT_TRUE(p.panel == nullptr || !property_owners(p).empty()) << p.key;
    }
}

TEST(LabState, ALinkCarriesTheSharedKeysAndTheOpenPanelsKeys) {
    LabState s;
    ASSERT_TRUE(set_property(s, "panel", "perceptron").ok());
    const std::string q = to_query(s);
    EXPECT_EQ(q.find("format="), std::string::npos) << q;
    EXPECT_EQ(q.find("hidden="), std::string::npos) << q;
    EXPECT_NE(q.find("atoms=lattice:range=1,points=32"), std::string::npos) << q;
    EXPECT_NE(q.find("seed=1"), std::string::npos) << q;
    // Keys of another panel in a link still apply (an old link, or a hand-written one).
    LabState t;
    EXPECT_TRUE(apply_query("panel=train&hidden=128&format=fixed:w=4,f=2", t).empty());
    EXPECT_EQ(t.hidden, "128");
    EXPECT_EQ(t.format, "fixed:w=4,f=2");
    LabState back;
    EXPECT_TRUE(apply_query(to_query(t, true), back).empty());
    EXPECT_EQ(back, t);
}

TEST(LabState, AnalysisLessonsCarryTheModelTheyStudy) {
    LabState s;
    ASSERT_TRUE(set_state(s, {{"panel", "precision"}, {"hidden", "64"}, {"ba", "5"}}).ok());
    const std::string q = to_query(s);
    EXPECT_NE(q.find("hidden=64"), std::string::npos) << q;  // the model's keys (owned by several)
    EXPECT_NE(q.find("ba=5"), std::string::npos) << q;       // the lesson's own
    EXPECT_EQ(q.find("calib="), std::string::npos) << q;     // the train lesson's only
    EXPECT_EQ(q.find("tblock="), std::string::npos) << q;    // another analysis lesson's
    ASSERT_TRUE(set_property(s, "panel", "train").ok());
    EXPECT_EQ(to_query(s).find("ba="), std::string::npos);
    const Property* hidden = find_property("hidden");
    ASSERT_NE(hidden, nullptr);
    EXPECT_EQ(property_owners(*hidden),
              (std::vector<std::string>{"train", "precision", "layers", "ternary"}));
    EXPECT_TRUE(property_in_panel(*hidden, "layers"));
    EXPECT_FALSE(property_in_panel(*hidden, "formats"));
    EXPECT_FALSE(set_property(s, "objective", "speed").ok());
    EXPECT_FALSE(set_property(s, "ba", "2.5").ok());
    EXPECT_FALSE(set_property(s, "ttol", "0").ok());
}

TEST(LabState, SeveralKeysAtOnceAndWhatChanged) {
    LabState s;
    StateChange c = set_state(s, {{"lo", "5"}, {"hi", "10"}, {"x", "7"}, {"rounding", "rne"}});
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c.changed, (std::vector<std::string>{"x", "lo", "hi"}));
    // One bad value is refused alone; the rest apply.
    c = set_state(s, {{"x", "8"}, {"weights", "fixed:w=0,f=1"}, {"nope", "1"}});
    ASSERT_EQ(c.errors.size(), 2u);
    EXPECT_NE(c.errors[0].find("bad value for 'weights'"), std::string::npos) << c.errors[0];
    EXPECT_NE(c.errors[1].find("unknown setting 'nope'"), std::string::npos) << c.errors[1];
    EXPECT_EQ(s.x, 8);
    EXPECT_EQ(s.weights, "");
}

TEST(LabState, RulesOverSeveralKeysLiveInTheTable) {
    LabState s;
    // A model too large for a browser tab: the data and the widths are fine alone.
    ASSERT_TRUE(set_property(s, "hidden", "1024-1024").ok());  // on 64 digit features: 1.1M
    StateChange c = set_state(s, {{"data", "mnist"}, {"hidden", "1024-1024-1024-1024"}});
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_NE(c.errors[0].find("parameters, more than the lab's limit"), std::string::npos)
        << c.errors[0];
    EXPECT_NE(c.errors[0].find("kept data=digits, hidden=1024-1024"), std::string::npos)
        << c.errors[0];
    EXPECT_EQ(s.data, "digits");
    EXPECT_TRUE(c.changed.empty());
    // A removed point must exist.
    ASSERT_TRUE(set_property(s, "remove", "3,17").ok());
    EXPECT_FALSE(set_property(s, "n", "10").ok());
    EXPECT_EQ(s.n, 200);
    for (const StateRule& rule : lab_rules())
        for (const char* key : rule.keys) EXPECT_NE(find_property(key), nullptr) << key;
}

TEST(LabState, PerceptronAndTrainValuesAreChecked) {
    LabState s;
    EXPECT_TRUE(set_property(s, "add", "0.5,-0.25,1;-1,1,0").ok());
    auto points = parse_added_points(s.add);
    ASSERT_TRUE(points.ok());
    ASSERT_EQ(points->size(), 2u);
    EXPECT_EQ((*points)[0].x, 0.5);
    EXPECT_EQ((*points)[0].y, -0.25);
    EXPECT_EQ((*points)[1].label, 0);
    EXPECT_EQ(format_added_points(*points), s.add);
    EXPECT_NE(set_property(s, "add", "0.5,0.5,2").message().find("class 0 or 1"),
              std::string::npos);
    EXPECT_NE(set_property(s, "add", "9,0,1").message().find("outside"), std::string::npos);
    EXPECT_NE(set_property(s, "add", "1,2").message().find("added point 1"), std::string::npos);
    EXPECT_NE(set_property(s, "set", "moons").message().find("unknown 2-D data set 'moons'"),
              std::string::npos);
    EXPECT_NE(set_property(s, "noise", "0.9").message().find("outside [0, 0.5]"),
              std::string::npos);
    EXPECT_NE(set_property(s, "hidden", "64-0").message().find("hidden width '0'"),
              std::string::npos);
    EXPECT_NE(set_property(s, "hidden", "8-8-8-8-8").message().find("at most 4"),
              std::string::npos);
    EXPECT_TRUE(set_property(s, "hidden", "").ok());  // logistic regression
    EXPECT_TRUE(set_property(s, "weights", "fixed:w=4,f=3").ok());
    EXPECT_TRUE(set_property(s, "weights", "").ok());
    EXPECT_FALSE(set_property(s, "batch", "0").ok());
    EXPECT_FALSE(set_property(s, "theme", "neon").ok());
    EXPECT_EQ(parse_hidden_widths("128-64")->at(1), 64);
}

TEST(LabState, DesignerLevelsInALink) {
    auto k = parse_designer_levels("kmeans:16");
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->kind, DesignerLevels::Kind::kmeans);
    EXPECT_EQ(k->count, 16);
    auto u = parse_designer_levels("uniform:3");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->kind, DesignerLevels::Kind::uniform);
    EXPECT_EQ(u->count, 3);
    // A list is sorted and merged; -0 is 0.
    auto l = parse_designer_levels("0.5;-0.25;0.5;-0;1e-3");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->kind, DesignerLevels::Kind::list);
    EXPECT_EQ(l->values, (std::vector<double>{-0.25, 0, 0.001, 0.5}));
    EXPECT_FALSE(std::signbit(l->values[1]));
    EXPECT_NE(parse_designer_levels("kmeans:1").status().message().find("from 2 to 256"),
              std::string::npos);
    EXPECT_NE(parse_designer_levels("uniform:9").status().message().find("from 1 to 8"),
              std::string::npos);
    EXPECT_NE(parse_designer_levels("kmeans:2.5").status().message().find("whole number"),
              std::string::npos);
    EXPECT_NE(parse_designer_levels("0.1;x;0.3").status().message().find("item 2 'x'"),
              std::string::npos);
    EXPECT_NE(parse_designer_levels("0.1;;0.3").status().message().find("item 2 ''"),
              std::string::npos);
    EXPECT_NE(parse_designer_levels("inf").status().message().find("not a finite number"),
              std::string::npos);
    EXPECT_NE(parse_designer_levels("").status().message().find("none given"), std::string::npos);
    std::string many;
    for (int i = 0; i < 257; ++i) many += (i ? ";" : "") + std::to_string(i);
    EXPECT_NE(parse_designer_levels(many).status().message().find("more than 256"),
              std::string::npos);
    // Written to 4 significant digits, and read back to exactly the same values.
    const std::string text = designer_levels_text({-0.123456, 0, 0.0009876543, 12.34567});
    EXPECT_EQ(text, "-0.1235;0;0.0009877;12.35");
    EXPECT_EQ(parse_designer_levels(text)->values,
              (std::vector<double>{-0.1235, 0, 0.0009877, 12.35}));
    EXPECT_EQ(designer_levels_text(parse_designer_levels(text)->values), text);
    // In the Layers lesson's link, with a bad value refused and named.
    LabState s;
    s.panel = "layers";
    EXPECT_TRUE(
        apply_query("panel=layers&lview=designer&dlevels=-0.1;0.1&dlayer=2&dall=1", s).empty());
    const std::string q = to_query(s);
    EXPECT_NE(q.find("&lview=designer&dlevels=-0.1;0.1&dlayer=2&dall=1"), std::string::npos) << q;
    const auto messages = apply_query("dlevels=kmeans:0&lview=both&dlayer=0", s);
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_NE(messages[0].find("bad value for 'dlevels'"), std::string::npos) << messages[0];
    EXPECT_NE(messages[0].find("kept dlevels=-0.1;0.1"), std::string::npos) << messages[0];
    EXPECT_NE(messages[1].find("unknown layers view 'both'"), std::string::npos) << messages[1];
    EXPECT_NE(messages[2].find("outside [1, 64]"), std::string::npos) << messages[2];
    EXPECT_EQ(s.dlevels, "-0.1;0.1");
    EXPECT_EQ(to_query(LabState{}).find("dlevels"), std::string::npos);  // not the Formats lesson's
}

}  // namespace
}  // namespace qlab

namespace qlab {
namespace {

TEST(LabState, ThePrecisionLessonOpensOnTheHardSigmoid) {
    // Sakr's theorems are stated for hidden outputs in [0, 2]: the lesson's own default.
    EXPECT_EQ(LabState{}.act, "relu");
    EXPECT_EQ(lesson_default_state("precision").act, "hardsigmoid");
    EXPECT_EQ(lesson_default_state("train").act, "relu");
    EXPECT_EQ(lesson_default_state("precision").panel, "precision");
    std::vector<std::string> problems;
    EXPECT_EQ(initial_lab_state("?panel=precision", &problems).act, "hardsigmoid");
    EXPECT_TRUE(problems.empty());
    // A link's own value wins, and the other lessons keep ReLU.
    EXPECT_EQ(initial_lab_state("panel=precision&act=relu").act, "relu");
    EXPECT_EQ(initial_lab_state("panel=train").act, "relu");
    EXPECT_EQ(initial_lab_state("").act, "relu");
    // A bad value is still named, and the lesson's default stays.
    const LabState s = initial_lab_state("panel=precision&act=sigmoid", &problems);
    EXPECT_EQ(s.act, "hardsigmoid");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("act"), std::string::npos);
    // The link written from that state carries the activation explicitly.
    EXPECT_NE(to_query(lesson_default_state("precision")).find("act=hardsigmoid"),
              std::string::npos);
    for (const LessonDefault& d : lesson_defaults()) {
        const Property* p = find_property(d.key);
        ASSERT_NE(p, nullptr) << d.key;
        EXPECT_TRUE(property_in_panel(*p, d.panel)) << d.key;
    }
}

TEST(LabState, KundusXIsTheTernaryLessonsSetting) {
    const Property* p = find_property("tx");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(property_owners(*p), std::vector<std::string>{"ternary"});
    EXPECT_EQ(LabState{}.tx, 5.5);
    LabState s;
    EXPECT_TRUE(set_property(s, "tx", "5").ok());
    EXPECT_EQ(s.tx, 5);
    EXPECT_FALSE(set_property(s, "tx", "0").ok());
    EXPECT_FALSE(set_property(s, "tx", "-2").ok());
    EXPECT_EQ(s.tx, 5);
    s.panel = "ternary";
    EXPECT_NE(to_query(s).find("tx=5"), std::string::npos);
    // Every row of the estimation set by default (psamples = 0).
    EXPECT_EQ(LabState{}.psamples, 0);
    EXPECT_TRUE(set_property(s, "psamples", "0").ok());
    EXPECT_FALSE(set_property(s, "psamples", "-1").ok());
}

TEST(LabState, AModelByLinkAndItsPreprocessing) {
    LabState s;
    s.panel = "train";
    EXPECT_EQ(to_query(s).find("model="), std::string::npos);  // empty: left out of links
    EXPECT_EQ(to_query(s).find("normalize="), std::string::npos);
    EXPECT_TRUE(
        apply_query("panel=train&model=models%2Flenet.onnx&normalize=meanstd:0.1307,0.3081", s)
            .empty());
    EXPECT_EQ(s.model, "models/lenet.onnx");
    EXPECT_EQ(s.normalize, "meanstd:0.1307,0.3081");
    EXPECT_NE(to_query(s).find("normalize=meanstd:0.1307,0.3081"), std::string::npos);
    EXPECT_NE(to_query(s).find("model=models/lenet.onnx"), std::string::npos);  // '/' readable
    for (const char* lesson : {"train", "precision", "layers", "ternary"})
        EXPECT_TRUE(property_in_panel(*find_property("model"), lesson)) << lesson;
    EXPECT_EQ(find_property("normalize")->model, ModelEffect::new_data);
    EXPECT_EQ(find_property("model")->model, ModelEffect::none);  // the App fetches it
    // Bad values are refused alone and say why.
    const auto bad = apply_query("model=javascript:alert(1)&normalize=meanstd:0.1,0", s);
    ASSERT_EQ(bad.size(), 2u);
    EXPECT_NE(bad[0].find("relative to the page"), std::string::npos) << bad[0];
    EXPECT_NE(bad[1].find("STD > 0"), std::string::npos) << bad[1];
    EXPECT_EQ(s.model, "models/lenet.onnx");
    EXPECT_FALSE(set_property(s, "model", "a b.onnx").ok());
    EXPECT_TRUE(set_property(s, "model", "https://example.org/m.onnx").ok());
    EXPECT_TRUE(set_property(s, "model", "").ok());
    auto p = parse_preprocessing("meanstd:0.5,0.25");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->kind, InputPreprocessing::Kind::meanstd);
    EXPECT_EQ(p->mean, 0.5);
    EXPECT_EQ(p->std, 0.25);
    EXPECT_EQ(parse_preprocessing("")->kind, InputPreprocessing::Kind::automatic);
    EXPECT_FALSE(parse_preprocessing("meanstd:1").ok());
    EXPECT_FALSE(parse_preprocessing("scale").ok());
    EXPECT_EQ(parse_preprocessing("minmax")->kind, InputPreprocessing::Kind::minmax);
}

TEST(LabState, TrainingSettingsFollowTheDataSetUnlessSet) {
    LabState s;  // digits: the lab's preset, no decay
    EXPECT_EQ(s.lr_key, "");
    EXPECT_EQ(s.lr, 0.003);
    EXPECT_EQ(s.batch, 32);
    EXPECT_EQ(s.decay, 1);
    EXPECT_EQ(lab_train_settings(s).source, "lab default");
    // MNIST brings its own: lr 0.003 decayed x0.7 per epoch, batch 32.
    StateChange c = set_state(s, {{"data", "mnist"}});
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(s.lr, 0.003);
    EXPECT_EQ(s.batch, 32);
    EXPECT_EQ(s.decay, 0.7);
    LabTrainSettings t = lab_train_settings(s);
    EXPECT_EQ(t.source, "MNIST default");
    EXPECT_TRUE(t.lr_default && t.batch_default && t.decay_default);
    EXPECT_EQ(lab_train_settings(initial_lab_state("panel=train&data=fashion")).decay, 0.7);
    EXPECT_EQ(lab_train_settings(initial_lab_state("panel=train&data=fashion")).source,
              "Fashion-MNIST default");
    // A value set by hand wins, in its shortest form, and stays when the data set changes.
    c = set_state(s, {{"lr", "0.0100"}, {"decay", "0.9"}});
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(s.lr_key, "0.01");
    EXPECT_EQ(s.lr, 0.01);
    EXPECT_EQ(s.decay, 0.9);
    EXPECT_EQ(s.batch, 32);
    EXPECT_FALSE(lab_train_settings(s).lr_default);
    EXPECT_TRUE(lab_train_settings(s).batch_default);
    EXPECT_NE(std::find(c.changed.begin(), c.changed.end(), "decay"), c.changed.end());
    set_state(s, {{"data", "circle"}});
    EXPECT_EQ(s.lr, 0.01);
    EXPECT_EQ(s.decay, 0.9);
    set_state(s, {{"decay", ""}});  // empty: back to the data set's default
    EXPECT_EQ(s.decay, 1);
}

TEST(LabState, TrainingSettingsInLinks) {
    LabState s = initial_lab_state("panel=train&data=mnist&hidden=128");
    // Defaults are left out of the link, so it keeps following the data set.
    const std::string q = to_query(s);
    EXPECT_EQ(q.find("lr="), std::string::npos) << q;
    EXPECT_EQ(q.find("batch="), std::string::npos) << q;
    EXPECT_EQ(q.find("decay="), std::string::npos) << q;
    EXPECT_EQ(initial_lab_state(q), s);
    // Set values survive the link.
    set_state(s, {{"lr", "0.001"}, {"batch", "64"}, {"decay", "0.95"}});
    const std::string q2 = to_query(s);
    EXPECT_NE(q2.find("lr=0.001&batch=64&decay=0.95"), std::string::npos) << q2;
    const LabState back = initial_lab_state(q2);
    EXPECT_EQ(back, s);
    EXPECT_EQ(back.lr, 0.001);
    EXPECT_EQ(back.batch, 64);
    EXPECT_EQ(back.decay, 0.95);
    // An older link carried lr and batch always: they stay set; decay, which it did not know,
    // follows the data set.
    const LabState old = initial_lab_state("panel=train&data=mnist&lr=0.01&batch=16");
    EXPECT_EQ(old.lr, 0.01);
    EXPECT_EQ(old.batch, 16);
    EXPECT_EQ(old.decay, 0.7);
    // Bad values are refused alone, and say why.
    LabState bad = s;
    const auto m = apply_query("lr=0&batch=2.5&decay=1.5", bad);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_NE(m[0].find("bad value for 'lr'"), std::string::npos) << m[0];
    EXPECT_NE(m[1].find("not an integer"), std::string::npos) << m[1];
    EXPECT_NE(m[2].find("outside [0.01, 1]"), std::string::npos) << m[2];
    EXPECT_EQ(bad, s);
    EXPECT_FALSE(set_property(bad, "lr", "fast").ok());
    EXPECT_EQ(find_property("decay")->model, ModelEffect::new_model);
}

TEST(LabState, AutoPreprocessingFollowsTheDataSet) {
    using K = InputPreprocessing::Kind;
    EXPECT_EQ(automatic_preprocessing("mnist", false), K::none);  // pixel / 255
    EXPECT_EQ(automatic_preprocessing("fashion", false), K::none);
    EXPECT_EQ(automatic_preprocessing("digits", false), K::unit);
    EXPECT_EQ(automatic_preprocessing("digits", true), K::none);  // an imported model
}

TEST(LabState, TheHiddenKeyTakesACnnOnImages) {
    auto joined = [](const StateChange& change) {
        std::string all;
        for (const std::string& e : change.errors) all += e + "\n";
        return all;
    };
    LabState s;
    ASSERT_TRUE(set_state(s, {{"data", "mnist"}, {"hidden", "c8k5-p2-c16k5-p2-64"}}).ok());
    EXPECT_TRUE(hidden_is_cnn(s.hidden));
    EXPECT_FALSE(hidden_is_cnn("128-64"));
    EXPECT_EQ(lab_model_spec(s.hidden, "hardsigmoid", 784, 10, 28),
              "cnn:28x28x1-c8k5-p2-c16k5-p2-64-10:act=hardsigmoid");
    EXPECT_EQ(lab_model_spec("128", "relu", 784, 10, 28), "mlp:784-128-10:act=relu");
    EXPECT_EQ(lab_model_spec("", "relu", 784, 10, 28), "logreg");
    // The digits are 8x8: the same CNN's second convolution does not fit, and the lab keeps mnist.
    StateChange c = set_state(s, {{"data", "digits"}});
    EXPECT_FALSE(c.ok());
    EXPECT_NE(joined(c).find("layer 'c16k5'"), std::string::npos) << joined(c);
    EXPECT_EQ(s.data, "mnist");
    ASSERT_TRUE(set_state(s, {{"data", "digits"}, {"hidden", "c8k3-p2-32"}}).ok());
    // Generated points are not images.
    c = set_state(s, {{"data", "xor"}});
    EXPECT_NE(joined(c).find("needs image data"), std::string::npos) << joined(c);
    // Past the parameter limit: counted from the shapes, refused by number.
    c = set_state(s, {{"data", "mnist"}, {"hidden", "c64k3-4096"}});
    EXPECT_NE(joined(c).find("more than the lab's limit"), std::string::npos) << joined(c);
    // Fashion-MNIST is a data set of the lab (784 inputs, 10 classes in the size rule).
    EXPECT_TRUE(set_property(s, "data", "fashion").ok());
    EXPECT_FALSE(set_state(s, {{"hidden", "4096-4096"}}).ok());
}

TEST(LabState, TheSensitivityViewAndItsFormats) {
    LabState s;
    EXPECT_EQ(s.sweights, "int:b=4,group=32");
    EXPECT_TRUE(set_property(s, "lview", "sensitivity").ok());
    EXPECT_TRUE(set_property(s, "sacts", "int:b=8,scale=0.05").ok());
    EXPECT_FALSE(set_property(s, "sweights", "nonsense:3").ok());
    EXPECT_EQ(property_owners(*find_property("sweights")), std::vector<std::string>{"layers"});
}

}  // namespace
}  // namespace qlab

namespace qlab {
namespace {

TEST(LabState, ThePerceptronSweepsProtocolAndThePapersTables) {
    // Cherkhev §4.2's protocol by default; converge is the choice; his tables are grids.
    LabState s;
    EXPECT_EQ(s.protocol, "paper");
    EXPECT_TRUE(apply_query("panel=perceptron&protocol=converge&grid=3-float", s).empty());
    EXPECT_EQ(s.protocol, "converge");
    EXPECT_EQ(s.grid, "3-float");
    const auto m = apply_query("protocol=forever&grid=5", s);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_NE(m[0].find("protocol"), std::string::npos);
    EXPECT_EQ(s.protocol, "converge");
    EXPECT_EQ(s.grid, "3-float");
    EXPECT_NE(to_query(s, false).find("protocol=converge"), std::string::npos);
}

}  // namespace
}  // namespace qlab

namespace qlab {
namespace {

TEST(LabState, TheTernaryLessonHasATablesView) {
    LabState s;
    EXPECT_TRUE(apply_query("tview=tables&tx=5", s).empty());
    EXPECT_EQ(s.tview, "tables");
    EXPECT_EQ(s.tx, 5);
    EXPECT_EQ(apply_query("tview=table", s).size(), 1u);
    EXPECT_EQ(s.tview, "tables");
}

}  // namespace
}  // namespace qlab
