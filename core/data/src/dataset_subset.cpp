// Data spec modifiers: two classes of a data set (class_pair) and boolean features (binarized),
// written after the spec as @classes=A/B and @binarize=T (Cherkhev's Tables 3-4 substitutes:
// MNIST's 4 against 9 for gisette, a binarized Fashion-MNIST pair for farm-ads).
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "qlab/dataset.hpp"
#include "qlab/format.hpp"

namespace qlab {

Result<Dataset> class_pair(const Dataset& data, int a, int b) {
    if (a == b) return Status::error("a class pair needs two different classes");
    for (int c : {a, b})
        if (c < 0 || c >= data.classes)
            return Status::error("data '" + data.name + "' has classes 0.." +
                                 std::to_string(data.classes - 1) + ", not " + std::to_string(c));
    Dataset out;
    out.name = data.name;
    out.features = data.features;
    out.classes = 2;
    auto name_of = [&](int c) {
        return static_cast<std::size_t>(c) < data.class_names.size() ? data.class_names[c]
                                                                     : std::to_string(c);
    };
    out.class_names = {name_of(a), name_of(b)};
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data.y[i] != a && data.y[i] != b) continue;
        out.x.insert(out.x.end(), data.row(i), data.row(i) + data.features);
        out.y.push_back(data.y[i] == b ? 1 : 0);
    }
    return out;
}

Dataset binarized(const Dataset& data, double threshold) {
    Dataset out = data;
    for (float& v : out.x) v = v > threshold ? 1.0f : 0.0f;
    return out;
}

Result<Dataset> apply_data_modifier(std::string_view spec, std::size_t at,
                                    const DataSpecOptions& options) {
    const std::string whole(spec), modifier(spec.substr(at + 1));
    auto base = load_data_spec(spec.substr(0, at), options);
    if (!base) return base;
    auto bad = [&](const std::string& why) {
        return Status::error("data '" + whole + "': " + why);
    };
    auto number = [](const std::string& text, double& out) {
        errno = 0;
        char* end = nullptr;
        out = text.empty() ? NAN : std::strtod(text.c_str(), &end);
        return !text.empty() && end == text.c_str() + text.size() && std::isfinite(out);
    };
    if (modifier.rfind("classes=", 0) == 0) {
        const std::string v = modifier.substr(8);
        const std::size_t slash = v.find('/');
        double a = 0, b = 0;
        if (slash == std::string::npos || !number(v.substr(0, slash), a) ||
            !number(v.substr(slash + 1), b) || a != std::floor(a) || b != std::floor(b) ||
            std::fabs(a) > 1e6 || std::fabs(b) > 1e6)
            return bad("@classes= takes two class numbers, e.g. @classes=4/9; got '" + v + "'");
        auto pair = class_pair(*base, static_cast<int>(a), static_cast<int>(b));
        if (!pair) return bad(pair.status().message());
        Dataset d = std::move(pair).value();
        d.name = whole;
        return d;
    }
    const std::string v = modifier.substr(9);
    double t = 0;
    if (!number(v, t))
        return bad("@binarize= takes a threshold, e.g. @binarize=0.5; got '" + v + "'");
    Dataset d = binarized(*base, t);
    d.name = whole;
    return d;
}

}  // namespace qlab
