// The kinds' declarations (qlab/format_kinds.hpp) against their parsers: every declared range
// is exactly what parses (its ends parse in some example of the form, just outside is refused
// naming the key), every declared default is what the parser uses for an absent key, the usage
// lines come from the declarations, and specs read into values and built back are the same
// formats, over every spec the registry's declarations produce.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "qlab/format.hpp"
#include "qlab/format_kinds.hpp"

namespace qlab {
namespace {

bool has(const std::string& text, const std::string& piece) {
    return text.find(piece) != std::string::npos;
}

// The examples of a form, read into values.
std::vector<FormatValues> example_values(const FormatKindInfo& kind, std::size_t form) {
    std::vector<FormatValues> out;
    for (const auto& e : kind.forms[form].examples) {
        auto v = format_values(e.spec);
        EXPECT_TRUE(v.ok()) << e.spec << ": " << v.status().message();
        if (v.ok()) out.push_back(*v);
    }
    return out;
}

// The spec of an example with one key set to a value, written as the spec writes it.
std::string with_text(FormatValues v, const std::string& key, const std::string& text) {
    v.set_text(key, text);
    return format_spec(v);
}

// The values a parameter is tried at: the ends of its range (or each choice) that must parse,
// and values just outside that must be refused.
struct Trial {
    std::vector<std::string> inside, outside;  // as spec text of the value
};

std::string number_text(double x) {
    return shortest_repr(x == 0 ? 0.0 : x);
}

std::string list_of(double count) {
    std::string s;
    for (int i = 0; i < static_cast<int>(count); ++i) s += (i ? ";" : "") + std::to_string(i);
    return s;
}

Trial trial_of(const FormatParam& p) {
    Trial t;
    switch (p.type) {
        case ParamType::boolean:
            return {{"0", "1"}, {"2"}};
        case ParamType::choice:
        case ParamType::variant:
            for (const auto& c : p.choices) t.inside.push_back(c.name);
            t.outside.push_back("zz9");
            return t;
        case ParamType::list:
            return {{list_of(p.min), list_of(p.max)}, {list_of(p.min - 1), list_of(p.max + 1)}};
        case ParamType::integer:
            return {{number_text(p.min), number_text(p.max)},
                    {number_text(p.min - 1), number_text(p.max + 1)}};
        case ParamType::number:
            break;
    }
    // A number: an inclusive end parses and its neighbour outside does not; an exclusive end
    // does not parse and its neighbour inside does.
    if (std::isfinite(p.min)) {
        const double in = p.min_inclusive ? p.min : std::nextafter(p.min, INFINITY);
        const double out = p.min_inclusive ? std::nextafter(p.min, -INFINITY) : p.min;
        t.inside.push_back(number_text(in)), t.outside.push_back(number_text(out));
    }
    if (std::isfinite(p.max)) {
        const double in = p.max_inclusive ? p.max : std::nextafter(p.max, -INFINITY);
        const double out = p.max_inclusive ? std::nextafter(p.max, INFINITY) : p.max;
        t.inside.push_back(number_text(in)), t.outside.push_back(number_text(out));
    }
    t.outside.push_back("inf");
    return t;
}

// Every spec the declarations produce: each form's examples and each parameter at each value it
// must take (in the first example where it parses).
const std::vector<std::string>& registry_specs() {
    static const std::vector<std::string> specs = [] {
        std::vector<std::string> out;
        for (const auto& kind : format_kinds()) {
            for (std::size_t f = 0; f < kind.forms.size(); ++f) {
                for (const auto& e : kind.forms[f].examples) out.push_back(e.spec);
                const auto examples = example_values(kind, f);
                for (const auto& p : kind.forms[f].params) {
                    for (const auto& value : trial_of(p).inside) {
                        for (const auto& v : examples) {
                            const std::string spec = with_text(v, p.key, value);
                            if (!Format::parse(spec).ok()) continue;
                            out.push_back(spec);
                            break;
                        }
                    }
                }
            }
        }
        return out;
    }();
    return specs;
}

TEST(FormatKinds, EveryKindTheParserKnowsIsDeclared) {
    const auto& kinds = format_kinds();
    const auto& known = Format::known_kinds();
    ASSERT_EQ(kinds.size(), known.size());
    EXPECT_GE(kinds.size(), 18u);
    std::set<std::string> names;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        const FormatKindInfo& k = kinds[i];
        EXPECT_TRUE(names.insert(k.kind).second) << "declared twice: " << k.kind;
        EXPECT_EQ(known[i].first, k.kind);
        EXPECT_EQ(known[i].second, k.usage());
        EXPECT_EQ(find_format_kind(k.kind), &k);
        EXPECT_FALSE(k.meaning.empty()) << k.kind;
        ASSERT_FALSE(k.forms.empty()) << k.kind;
        for (const auto& form : k.forms) {
            EXPECT_EQ(form.name.empty(), k.forms.size() == 1) << k.kind;
            EXPECT_FALSE(form.examples.empty()) << k.kind << " " << form.name;
            for (const auto& p : form.params) {
                const std::string what = k.kind + " " + p.key;
                EXPECT_FALSE(p.label.empty()) << what;
                EXPECT_FALSE(p.meaning.empty()) << what;
                EXPECT_FALSE(p.required && !p.default_value.empty()) << what;
                const bool listed = p.type == ParamType::choice || p.type == ParamType::variant;
                EXPECT_EQ(listed, !p.choices.empty()) << what;
                if (p.type == ParamType::integer || p.type == ParamType::list) {
                    EXPECT_EQ(p.min, std::floor(p.min)) << what;
                    EXPECT_EQ(p.max, std::floor(p.max)) << what;
                }
                if (!std::isnan(p.slider_min)) {
                    EXPECT_TRUE(p.in_range(p.slider_min) && p.in_range(p.slider_max)) << what;
                    EXPECT_LT(p.slider_min, p.slider_max) << what;
                }
            }
        }
    }
    EXPECT_EQ(find_format_kind("fxd"), nullptr);
}

TEST(FormatKinds, UsageLinesComeFromTheDeclarations) {
    EXPECT_EQ(find_format_kind("fixed")->usage(), "fixed:w=W,f=F[,overflow=sat|wrap]");
    EXPECT_EQ(find_format_kind("float")->usage(), "float:e=E,m=M[,sub=0|1][,sat=0|1]");
    EXPECT_EQ(find_format_kind("int")->usage(),
              "int:b=B,scale=S[,zero=Z][,signed=0|1][,narrow=0|1] or int:b=B,group=G[,asym=0|1]");
    EXPECT_EQ(find_format_kind("ternary")->usage(),
              "ternary:alpha=A[,threshold=T] or ternary[:block=B]");
    EXPECT_EQ(find_format_kind("codebook")->usage(),
              "codebook:values=v1;v2;... or codebook:kmeans=K[,iters=I]");
    EXPECT_EQ(find_format_kind("fp6")->usage(), "fp6:e2m3|e3m2");
    EXPECT_EQ(find_format_kind("mxfp4")->usage(), "mxfp4[:block=B]");
    EXPECT_EQ(find_format_kind("e8m0")->usage(), "e8m0");
    // An unknown key quotes the usage; an unknown kind lists every kind.
    auto bad = Format::parse("float:e=5,m=10,bias=3");
    EXPECT_TRUE(has(bad.status().message(), "(expected float:e=E,m=M[,sub=0|1][,sat=0|1])"))
        << bad.status().message();
    bad = Format::parse("fxd:w=8");
    std::string known;
    for (const auto& k : format_kinds()) known += (known.empty() ? "" : ", ") + k.kind;
    EXPECT_TRUE(has(bad.status().message(), "unknown kind 'fxd' (known: " + known + ")"))
        << bad.status().message();
}

TEST(FormatKinds, RangeTexts) {
    const FormatParam& w = *find_format_kind("fixed")->forms[0].find("w");
    EXPECT_EQ(w.range_text(), "from 2 to 53");
    const FormatParam& alpha = *find_format_kind("ternary")->forms[0].find("alpha");
    EXPECT_EQ(alpha.range_text(), "positive, from 1e-300 to 1e+300");
    FormatParam open = alpha;
    open.min = 0, open.min_inclusive = false, open.max = INFINITY;
    EXPECT_EQ(open.range_text(), "positive");
    EXPECT_FALSE(open.in_range(0));
    EXPECT_TRUE(open.in_range(1e-320));
    const FormatParam& t = *find_format_kind("ternary")->forms[0].find("threshold");
    EXPECT_EQ(t.range_text(), ">= 0");
    const FormatParam& range = *find_format_kind("lattice")->forms[0].find("range");
    EXPECT_EQ(range.range_text(), "positive, from 1e-300 to 1e+300");
    const FormatParam& values = *find_format_kind("codebook")->forms[0].find("values");
    EXPECT_EQ(values.range_text(), "1 to 65536 numbers");
    EXPECT_EQ(find_format_kind("fp6")->forms[0].find("variant")->range_text(), "e2m3|e3m2");
}

TEST(FormatKinds, EveryExampleParsesAndIsOfItsForm) {
    for (const auto& kind : format_kinds()) {
        for (std::size_t f = 0; f < kind.forms.size(); ++f) {
            for (const auto& e : kind.forms[f].examples) {
                auto v = format_values(e.spec);
                ASSERT_TRUE(v.ok()) << e.spec << ": " << v.status().message();
                EXPECT_EQ(v->kind, kind.kind) << e.spec;
                EXPECT_EQ(v->form, f) << e.spec;
            }
        }
    }
}

// The ends of every declared range parse (in some example of the form) and arrive as written;
// just outside is refused in every example, with a message that names the key.
TEST(FormatKinds, DeclaredRangesAreWhatParses) {
    int inside = 0, outside = 0;
    for (const auto& kind : format_kinds()) {
        for (std::size_t f = 0; f < kind.forms.size(); ++f) {
            const auto examples = example_values(kind, f);
            for (const auto& p : kind.forms[f].params) {
                const std::string what = kind.kind + " " + kind.forms[f].name + " " + p.key;
                const Trial trial = trial_of(p);
                for (const auto& value : trial.inside) {
                    std::string tried;
                    bool parsed = false;
                    for (const auto& v : examples) {
                        const std::string spec = with_text(v, p.key, value);
                        auto format = Format::parse(spec);
                        tried += " " + spec.substr(0, 60) +
                                 (format.ok() ? "" : " (" + format.status().message() + ")");
                        if (!format.ok()) continue;
                        parsed = true;
                        auto back = format_values(*format);
                        ASSERT_TRUE(back.ok()) << spec << ": " << back.status().message();
                        EXPECT_EQ(back->find(p.key)->text, value) << what;
                        break;
                    }
                    EXPECT_TRUE(parsed) << what << " = " << value.substr(0, 40) << ":" << tried;
                    ++inside;
                }
                for (const auto& value : trial.outside) {
                    for (const auto& v : examples) {
                        const std::string spec = with_text(v, p.key, value);
                        auto format = Format::parse(spec);
                        ASSERT_FALSE(format.ok()) << "accepted " << spec.substr(0, 80);
                        const std::string named =
                            p.type == ParamType::variant ? "'" + value + "'" : "'" + p.key + "'";
                        EXPECT_TRUE(has(format.status().message(), named))
                            << spec.substr(0, 80) << ": " << format.status().message();
                    }
                    ++outside;
                }
            }
        }
    }
    EXPECT_GT(inside, 60);
    EXPECT_GT(outside, 40);
}

// A key left out and the same key written with its declared default give the same format: the
// same spec and, on the same data, the same stored values.
TEST(FormatKinds, DeclaredDefaultsAreWhatTheParserUses) {
    std::vector<double> data;
    for (int i = 0; i < 96; ++i) data.push_back(std::sin(i * 0.7) * (1 + i % 5));
    int checked = 0;
    for (const auto& kind : format_kinds()) {
        for (std::size_t f = 0; f < kind.forms.size(); ++f) {
            for (const auto& p : kind.forms[f].params) {
                if (p.default_value.empty()) continue;
                EXPECT_TRUE(p.type == ParamType::choice || p.in_range(std::stod(p.default_value)))
                    << kind.kind << " " << p.key;
                int examples = 0;
                for (FormatValues v : example_values(kind, f)) {
                    v.set_present(p.key, false);
                    const std::string without = format_spec(v);
                    const std::string with =
                        without + (has(without, ":") ? "," : ":") + p.key + "=" + p.default_value;
                    auto a = Format::parse(without), b = Format::parse(with);
                    // An example may need the key (zero=128 of an unsigned int needs signed=0).
                    if (!a.ok()) continue;
                    ++examples;
                    ASSERT_TRUE(b.ok()) << with << ": " << b.status().message();
                    EXPECT_EQ(a->to_string(), b->to_string()) << with;
                    const auto qa = a->quantize_tensor_ref(data), qb = b->quantize_tensor_ref(data);
                    for (std::size_t i = 0; i < data.size(); ++i)
                        ASSERT_TRUE(qa[i] == qb[i] || (std::isnan(qa[i]) && std::isnan(qb[i])))
                            << with << " at " << i;
                    // Read back, the absent key shows its default.
                    auto back = format_values(*a);
                    ASSERT_TRUE(back.ok()) << without;
                    EXPECT_FALSE(back->find(p.key)->present) << without;
                    EXPECT_EQ(back->find(p.key)->text, p.default_value) << without;
                    ++checked;
                }
                EXPECT_GT(examples, 0) << kind.kind << " " << p.key;
            }
        }
    }
    EXPECT_GT(checked, 20);
}

// Spec -> Format -> values -> spec -> Format is the same format, for every spec the
// declarations produce.
TEST(FormatKinds, ValuesRoundTripOverEverySpecOfTheRegistry) {
    const auto& specs = registry_specs();
    EXPECT_GT(specs.size(), 100u);
    std::set<std::string> kinds_seen;
    for (const auto& spec : specs) {
        auto format = Format::parse(spec);
        ASSERT_TRUE(format.ok()) << spec << ": " << format.status().message();
        auto values = format_values(*format);
        ASSERT_TRUE(values.ok()) << spec << ": " << values.status().message();
        EXPECT_EQ(values->kind, format->kind()) << spec;
        const std::string built = format_spec(*values);
        auto again = Format::parse(built);
        ASSERT_TRUE(again.ok()) << spec << " -> " << built << ": " << again.status().message();
        EXPECT_EQ(again->to_string(), format->to_string()) << spec << " -> " << built;
        auto values_again = format_values(built);
        ASSERT_TRUE(values_again.ok());
        EXPECT_EQ(values_again->form, values->form) << built;
        for (const auto& p : values->params) {
            const FormatParamValue* q = values_again->find(p.key);
            ASSERT_NE(q, nullptr);
            EXPECT_EQ(q->text, p.text) << built << " " << p.key;
        }
        kinds_seen.insert(values->kind);
    }
    EXPECT_EQ(kinds_seen.size(), format_kinds().size());
}

TEST(FormatKinds, ValuesOfSpecsAsWritten) {
    auto v = format_values(" fixed : f=4 , w=8 ");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->kind, "fixed");
    EXPECT_EQ(v->find("w")->number, 8);
    EXPECT_EQ(v->find("f")->number, 4);
    EXPECT_FALSE(v->find("overflow")->present);
    EXPECT_EQ(v->find("overflow")->text, "sat");
    EXPECT_EQ(format_spec(*v), "fixed:w=8,f=4");
    v = format_values("fp8:e5m2,sat=yes");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->find("variant")->text, "e5m2");
    EXPECT_EQ(v->find("sat")->number, 1);
    EXPECT_EQ(format_spec(*v), "fp8:e5m2,sat=1");
    v = format_values("codebook:values=2;-1;0;2");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->form, 0u);
    EXPECT_EQ(v->find("values")->text, "-1;0;2");  // as the format stores them
    v = format_values("ternary:alpha=1,threshold=0.3");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->find("threshold")->number, 0.3);
    v = format_values("ternary:alpha=1");
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->find("threshold")->present);
    EXPECT_TRUE(std::isnan(v->find("threshold")->number));  // no default: alpha/2 is implied
    // A refused spec is refused with the parser's message.
    auto bad = format_values("fixed:w=99,f=2");
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(has(bad.status().message(), "key 'w' must be from 2 to 53, got 99"));
}

TEST(FormatKinds, EditingValuesBuildsSpecs) {
    FormatValues v = form_defaults("float");
    EXPECT_EQ(format_spec(v), "float:e=5,m=10");
    v.set_number("m", 3);
    v.set_number("e", 4);
    v.set_number("sub", 0);
    EXPECT_EQ(format_spec(v), "float:e=4,m=3,sub=0");
    v.set_present("sub", false);
    EXPECT_EQ(format_spec(v), "float:e=4,m=3");
    EXPECT_EQ(v.find("sub")->number, 1);  // the default shows

    // int: the affine form and the group-wise form keep b when switching.
    v = form_defaults("int");
    EXPECT_EQ(format_spec(v), "int:b=8,scale=0.05");
    v.set_number("b", 6);
    v = switch_form(v, 1);
    EXPECT_EQ(v.form, 1u);
    EXPECT_EQ(format_spec(v), "int:b=6,group=128");
    v.set_number("asym", 1);
    EXPECT_EQ(format_spec(v), "int:b=6,group=128,asym=1");
    EXPECT_EQ(format_spec(switch_form(v, 0)), "int:b=6,scale=0.05");

    // An optional key without a default starts from the form's example when switched on.
    v = format_values("ternary:alpha=2").value();
    v.set_present("threshold", true);
    EXPECT_EQ(format_spec(v), "ternary:alpha=2,threshold=0.3");
    v = switch_form(v, 1);
    EXPECT_EQ(format_spec(v), "ternary");
    v.set_present("block", true);
    EXPECT_EQ(format_spec(v), "ternary:block=64");
    v = format_values("mxfp4:block=16").value();
    v.set_present("block", false);
    EXPECT_EQ(format_spec(v), "mxfp4");
    v = form_defaults("mxfp8");
    v.set_text("variant", "e5m2");
    v.set_number("block", 64);
    EXPECT_EQ(format_spec(v), "mxfp8:e5m2,block=64");
    v = form_defaults("codebook", 1);
    EXPECT_EQ(format_spec(v), "codebook:kmeans=8");
    v.set_text("kmeans", "abc");  // any text reaches the parser, which refuses it by name
    auto bad = Format::parse(format_spec(v));
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(has(bad.status().message(), "key 'kmeans' must be an integer"));
    EXPECT_EQ(format_spec(form_defaults("e8m0")), "e8m0");
}

}  // namespace
}  // namespace qlab
