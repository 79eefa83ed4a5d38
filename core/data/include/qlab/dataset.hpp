// Datasets: generators (separable sets with a margin, Cherkhev's synth01/02-like sets, the TF
// Playground's circle/xor/gauss/spiral), loaders (CSV, libsvm, IDX) with messages that name the
// line or byte, data specs for the CLI and URL, splitting and normalisation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/status.hpp"

namespace qlab {

struct Dataset {
    std::string name;
    int features = 0;
    int classes = 0;
    std::vector<float> x;  // row-major, size() x features
    std::vector<int> y;    // class index in [0, classes)
    std::vector<std::string> class_names;

    std::size_t size() const { return y.size(); }
    const float* row(std::size_t i) const {
        return x.data() + i * static_cast<std::size_t>(features);
    }
};

struct Split {
    Dataset train, test;
};

// A seeded shuffle, then the last test_fraction of the rows become the test set.
Split split_dataset(const Dataset& data, double test_fraction, std::uint64_t seed);
// The first max_rows rows, in order (all of them when max_rows is 0 or not below the size): a
// deterministic subset for estimates that need not see every row.
Dataset first_rows(const Dataset& data, std::size_t max_rows);

enum class Normalization { none, scale_to_unit_range, scale_to_zero_one, standardize };
// Scaling to [-1, 1] per feature (Sakr §4.1), to [0, 1] per feature (min-max, as torchvision's
// ToTensor gives pixels) or to zero mean, unit variance, with the statistics of `reference` (the
// training set) applied to `data`.
void normalize(Dataset& data, const Dataset& reference, Normalization how);
// "none", "unit" ([-1, 1]), "minmax" ([0, 1]) or "standard": the spelling of --normalize and of
// the lab; kNormalizationChoices is that list in words, for help and messages.
constexpr const char* kNormalizationChoices =
    "none, unit ([-1, 1] per feature), minmax ([0, 1] per feature) or standard";
const char* normalization_name(Normalization how);
Result<Normalization> parse_normalization(std::string_view name);
// What "auto" means for a data set (the lab's empty normalize key, qlab's --normalize auto):
// generated data (synth:...) and the image sets (mnist, fashion or fashion-mnist: pixels load as
// pixel / 255) are left as they are; other real data is scaled to [-1, 1] per feature (Sakr
// §4.1). Mapping each pixel's training range to [-1, 1] would blow up the rare edge pixels a few
// training images touch. A spec with a modifier (mnist@classes=4/9) keeps [-1, 1].
Normalization automatic_normalization(std::string_view data);

// How a data set becomes the rows a model trains and is tested on: the CLI and the lab both
// call prepare_split, so the same data, fraction and seed give the same rows everywhere.
struct SplitOptions {
    double test_fraction = 0.2;  // held out, after a seeded shuffle
    std::uint64_t seed = 1;
    Normalization normalization = Normalization::scale_to_unit_range;
};
// Splits, then normalises both parts with the training part's statistics (Sakr §4.1 scales
// inputs to [-1, 1]). A fraction outside [0, 1) is an error.
Result<Split> prepare_split(const Dataset& data, const SplitOptions& options);

// Generators. Every one is deterministic for a seed.
struct LinearOptions {
    int dimensions = 2;
    int count = 400;
    double margin = 0.1;  // no point closer than this to the separating hyperplane
    double radius = 1;    // points lie in the ball of this radius
    std::uint64_t seed = 1;
};
Dataset make_linear(const LinearOptions& options);

enum class PlaygroundShape { circle, xor_quadrants, gauss, spiral };
struct PlaygroundOptions {
    PlaygroundShape shape = PlaygroundShape::circle;
    int count = 400;
    double noise = 0;  // 0..0.5 as on the Playground's slider (0..50%)
    std::uint64_t seed = 1;
};
Dataset make_playground(const PlaygroundOptions& options);

// Loaders; every failure names the file and the line, field or byte.
Result<Dataset> load_csv(const std::string& path, int label_column = -1);  // -1: last column
Result<Dataset> load_libsvm(const std::string& path);
Result<Dataset> load_idx(const std::string& images_path, const std::string& labels_path);
// The same parsers on text already in memory (tests, the browser's file loader).
Result<Dataset> parse_csv(std::string_view text, const std::string& name, int label_column = -1);
Result<Dataset> parse_libsvm(std::string_view text, const std::string& name);
Result<Dataset> parse_idx(const std::vector<std::uint8_t>& images,
                          const std::vector<std::uint8_t>& labels, const std::string& name);

// A data set as bytes for another instance of the same build (the lab's Web Worker): every value
// exactly. A cut or inconsistent input is refused with a message.
std::string dataset_to_bytes(const Dataset& data);
Result<Dataset> dataset_from_bytes(std::string_view bytes);

// Two classes of a data set, relabelled a -> 0 and b -> 1 (rows keep their order); an error names
// a class the data does not have.
Result<Dataset> class_pair(const Dataset& data, int a, int b);
// Every feature 1 where it is above the threshold, else 0 (boolean features, as bag-of-words).
Dataset binarized(const Dataset& data, double threshold);

// Data specs: synth:linear:d=2,n=400,margin=0.1,seed=1 | synth:synth01 | synth:synth02 |
// synth:circle|xor|gauss|spiral[:n=,noise=,seed=] | csv:PATH[,label=last|first|N] | libsvm:PATH |
// idx:IMAGES,LABELS | sklearn:breast_cancer|iris|wine|digits | mnist | fashion-mnist, each
// optionally followed by @classes=A/B (class_pair) and/or @binarize=T (binarized), e.g.
// mnist@classes=4/9 or fashion-mnist@classes=0/6@binarize=0.5.
// Real datasets are read from data_dir (the bootstrap puts them in .deps/datasets).
struct DataSpecOptions {
    std::string data_dir = ".deps/datasets";
};
Result<Dataset> load_data_spec(std::string_view spec, const DataSpecOptions& options = {});

}  // namespace qlab
