// The shared model's data set (see lab_data.hpp).
#include "lab/lab_data.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "qlab/format.hpp"

namespace quantlab {

namespace {

std::string split_key(const std::string& data, double seed, const std::string& prep) {
    return data + "#" + qlab::shortest_repr(seed) + "#" + prep;
}

bool is_image_set(const std::string& data) {
    return data == "digits" || data == "mnist" || data == "fashion";
}

// The files a real data set comes in, as the page fetches them from data/.
std::vector<std::string> dataset_files(const std::string& data) {
    if (data == "digits") return {"digits.csv"};
    return {data + "-images.idx", data + "-labels.idx"};
}

std::string preprocessing_word(const qlab::InputPreprocessing& p) {
    using K = qlab::InputPreprocessing::Kind;
    switch (p.kind) {
        case K::none:
            return "none";
        case K::standard:
            return "standard";
        case K::minmax:
            return "minmax";
        case K::meanstd:
            return "meanstd:" + qlab::shortest_repr(p.mean) + "," + qlab::shortest_repr(p.std);
        default:
            return "unit";
    }
}

}  // namespace

qlab::InputPreprocessing LabData::preprocessing_for(const qlab::LabState& s) const {
    auto p = qlab::parse_preprocessing(s.normalize);
    qlab::InputPreprocessing prep = p ? *p : qlab::InputPreprocessing{};  // a validated key
    if (prep.kind == qlab::InputPreprocessing::Kind::automatic)
        prep.kind = qlab::automatic_preprocessing(s.data, model_imported_);
    return prep;
}

bool LabData::sync(const qlab::LabState& s) {
    const std::string want = uploaded_ ? "uploaded:" + uploaded_name_ : s.data;
    const bool real = uploaded_ || is_image_set(s.data);
    const std::string key =
        split_key(want, s.seed, real ? preprocessing_word(preprocessing_for(s)) : "");
    if (built_for_ == key && (ready_ || loading_ == s.data)) return false;
    if (uploaded_) {
        loading_.clear();
        use(s, uploaded_data_, want, 0, Scaling::unit_range);
        built_for_ = key;
        return true;
    }
    if (is_image_set(s.data)) return use_real(s, key);
    loading_.clear();
    use(s, generated(s), s.data, 0, s.data == "linear" ? Scaling::none : Scaling::playground);
    built_for_ = key;
    return true;
}

// Real data sets come over the network once, with the page's progress bar.
bool LabData::use_real(const qlab::LabState& s, const std::string& key) {
    auto it = cache_.find(s.data);
    built_for_ = key;
    if (it != cache_.end()) {
        loading_.clear();
        use(s, it->second, s.data, s.data == "digits" ? 8 : 28, Scaling::unit_range);
        return true;
    }
    const bool had = ready_;
    ready_ = false;
    name_ = s.data;
    if (failed_.count(s.data)) return had;  // said once; choosing the data set again retries
    if (loading_ != s.data) {
        loading_ = s.data;
        for (const std::string& file : dataset_files(s.data)) host_.request_dataset(file);
    }
    return had;  // the old split is gone: the model built on it too
}

qlab::Dataset LabData::generated(const qlab::LabState& s) const {
    const auto seed = static_cast<std::uint64_t>(s.seed);
    if (s.data == "linear") {
        qlab::LinearOptions o;
        o.seed = seed;
        return qlab::make_linear(o);  // already inside the unit disc
    }
    qlab::PlaygroundOptions o;
    o.shape = s.data == "xor"      ? qlab::PlaygroundShape::xor_quadrants
              : s.data == "gauss"  ? qlab::PlaygroundShape::gauss
              : s.data == "spiral" ? qlab::PlaygroundShape::spiral
                                   : qlab::PlaygroundShape::circle;
    o.count = kPlaygroundPoints;
    o.noise = kPlaygroundNoise;
    o.seed = seed;
    return qlab::make_playground(o);
}

void LabData::use(const qlab::LabState& s, const qlab::Dataset& data, const std::string& name,
                  int image_side, Scaling scaling) {
    qlab::SplitOptions o;
    o.test_fraction = kLabTestFraction;
    o.seed = static_cast<std::uint64_t>(s.seed);
    // Real data: as `qlab train --normalize auto` scales it (pixel / 255 for MNIST and Fashion,
    // else [-1, 1] per feature with the training split's range), unless the normalize key (or an
    // imported model) asks for another preprocessing.
    using K = qlab::InputPreprocessing::Kind;
    const qlab::InputPreprocessing prep = preprocessing_for(s);
    o.normalization = scaling != Scaling::unit_range ? qlab::Normalization::none
                      : prep.kind == K::unit         ? qlab::Normalization::scale_to_unit_range
                      : prep.kind == K::minmax       ? qlab::Normalization::scale_to_zero_one
                      : prep.kind == K::standard     ? qlab::Normalization::standardize
                                                     : qlab::Normalization::none;
    const qlab::Split raw = qlab::split_dataset(data, o.test_fraction, o.seed);
    raw_test_ = raw.test;
    split_ = *qlab::prepare_split(data, o);  // the fraction is valid: no error
    if (scaling == Scaling::playground) {
        for (float& v : split_.train.x) v *= kPlaygroundScale;
        for (float& v : split_.test.x) v *= kPlaygroundScale;
    }
    if (scaling == Scaling::unit_range && prep.kind == K::meanstd) {  // torchvision's Normalize
        const auto mean = static_cast<float>(prep.mean), stdev = static_cast<float>(prep.std);
        for (float& v : split_.train.x) v = (v - mean) / stdev;
        for (float& v : split_.test.x) v = (v - mean) / stdev;
    }
    preprocessing_ = scaling == Scaling::unit_range   ? preprocessing_word(prep)
                     : scaling == Scaling::playground ? "playground"
                                                      : "none";
    pixel_max_ = 1;
    for (float v : raw_test_.x) pixel_max_ = std::max(pixel_max_, v);
    image_side_ = image_side;
    ready_ = true;
    name_ = name;
}

bool LabData::on_dataset(const qlab::LabState& s, const std::string& name, const std::string& bytes,
                         bool for_model) {
    if (name == "digits.csv") {
        auto d = qlab::parse_csv(bytes, "digits");  // 64 pixel columns, then the label
        if (!d) {
            host_.report("digits.csv: " + d.status().message(), MessageLevel::error);
            on_dataset_failed(name, d.status().message());
            return false;
        }
        cache_["digits"] = std::move(d).value();
    } else if (name == "mnist-images.idx" || name == "mnist-labels.idx" ||
               name == "fashion-images.idx" || name == "fashion-labels.idx") {
        const std::string set = name.substr(0, name.find('-'));
        pending_bytes_[name] = bytes;
        const std::string images = set + "-images.idx", labels = set + "-labels.idx";
        if (pending_bytes_.count(images) == 0 || pending_bytes_.count(labels) == 0) return false;
        const std::string& im = pending_bytes_[images];
        const std::string& lb = pending_bytes_[labels];
        auto d = qlab::parse_idx(std::vector<std::uint8_t>(im.begin(), im.end()),
                                 std::vector<std::uint8_t>(lb.begin(), lb.end()), set);
        pending_bytes_.clear();
        if (!d) {
            host_.report(set + ": " + d.status().message(), MessageLevel::error);
            on_dataset_failed(name, d.status().message());
            return false;
        }
        cache_[set] = std::move(d).value();
    } else {
        return false;
    }
    if (!for_model) return false;  // fetched for a lesson beside the model: cached only
    loading_.clear();
    built_for_.clear();
    return sync(s);
}

const qlab::Dataset* LabData::fetch(const std::string& data) {
    const auto it = cache_.find(data);
    if (it != cache_.end()) return &it->second;
    if (!is_image_set(data) || failed_.count(data) || fetched_[data]) return nullptr;
    fetched_[data] = true;
    for (const std::string& file : dataset_files(data)) host_.request_dataset(file);
    return nullptr;
}

void LabData::on_dataset_failed(const std::string& name, const std::string& message) {
    const std::string key = name.rfind("mnist", 0) == 0     ? "mnist"
                            : name.rfind("fashion", 0) == 0 ? "fashion"
                                                            : "digits";
    failed_[key] = message;
    if (loading_ == key) loading_.clear();
    pending_bytes_.clear();
}

std::string LabData::failure(const qlab::LabState& s) const {
    auto it = uploaded_ ? failed_.end() : failed_.find(s.data);
    return it == failed_.end() ? "" : "could not load " + s.data + ": " + it->second;
}

bool LabData::use_upload(const qlab::LabState& s, const std::string& name, qlab::Dataset data) {
    if (data.size() < 10 || data.classes < 2) {
        host_.report(name + ": needs at least 10 rows and 2 classes to train and test (has " +
                         std::to_string(data.size()) + " rows, " + std::to_string(data.classes) +
                         " classes)",
                     MessageLevel::error);
        return false;
    }
    uploaded_data_ = std::move(data);
    uploaded_ = true;
    uploaded_name_ = name;
    built_for_.clear();
    return sync(s);
}

}  // namespace quantlab
