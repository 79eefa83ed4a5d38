// Dataset file formats: CSV (header optional; sklearn's "n,features,class names" header too),
// libsvm/svmlight sparse text, and IDX (the MNIST format). Every error names the file and the
// line, field or byte, and nothing is trusted: sizes are checked before they are used.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "qlab/bytes.hpp"
#include "qlab/dataset.hpp"

namespace qlab {
namespace {

// Dense size limit: 2^26 floats (256 MiB) holds 60,000 MNIST-sized images, while a 40-byte
// libsvm file naming feature 62,628,817 must get a message, not a 2 GB allocation (found by
// fuzzing).
constexpr std::size_t kMaxValues = std::size_t{1} << 26;

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
    return std::string(s.substr(b, e - b));
}

bool parse_double(const std::string& s, double& out) {
    if (s.empty()) return false;
    errno = 0;
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && std::isfinite(out);
}

std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = line.find(',', start);
        fields.push_back(trim(std::string_view(line).substr(
            start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return fields;
}

// Class indices from raw labels: numbers in numeric order, otherwise text in sorted order.
void assign_classes(Dataset& d, const std::vector<std::string>& raw) {
    bool numeric = true;
    for (const auto& r : raw) {
        double v;
        numeric = numeric && parse_double(r, v);
    }
    std::vector<std::string> names(raw.begin(), raw.end());
    std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
        return numeric ? std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr) : a < b;
    });
    names.erase(std::unique(names.begin(), names.end(),
                            [&](const std::string& a, const std::string& b) {
                                return numeric ? std::strtod(a.c_str(), nullptr) ==
                                                     std::strtod(b.c_str(), nullptr)
                                               : a == b;
                            }),
                names.end());
    std::map<std::string, int> index;
    for (std::size_t i = 0; i < names.size(); ++i) index[names[i]] = static_cast<int>(i);
    d.y.clear();
    for (const auto& r : raw) {
        if (numeric) {
            const double v = std::strtod(r.c_str(), nullptr);
            for (std::size_t i = 0; i < names.size(); ++i)
                if (std::strtod(names[i].c_str(), nullptr) == v) d.y.push_back(static_cast<int>(i));
        } else {
            d.y.push_back(index[r]);
        }
    }
    d.classes = static_cast<int>(names.size());
    if (d.class_names.size() != names.size()) d.class_names = names;
}

Result<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::error("cannot open '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Result<std::vector<std::uint8_t>> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::error("cannot open '" + path + "'");
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                     std::istreambuf_iterator<char>());
}

}  // namespace

Result<Dataset> parse_csv(std::string_view text, const std::string& name, int label_column) {
    Dataset d;
    d.name = name;
    std::vector<std::string> raw_labels;
    std::size_t columns = 0, line_number = 0, pos = 0;
    int label = label_column;
    bool first_content = true;
    while (pos <= text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::string line = trim(
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line_number;
        if (line.empty() || line[0] == '#') continue;
        const std::vector<std::string> fields = split_fields(line);
        if (first_content) {
            first_content = false;
            // A first line with any non-number is a header. sklearn's reads "n,features,names...".
            // nan and inf count as numbers here, so such a row is reported, not taken as a header.
            bool all_numbers = true;
            for (const auto& f : fields) {
                char* end = nullptr;
                std::strtod(f.c_str(), &end);
                all_numbers = all_numbers && !f.empty() && end == f.c_str() + f.size();
            }
            if (!all_numbers) {
                double n, k;
                if (fields.size() >= 3 && parse_double(fields[0], n) && parse_double(fields[1], k))
                    d.class_names.assign(fields.begin() + 2, fields.end());
                continue;
            }
        }
        if (columns == 0) {
            columns = fields.size();
            if (columns < 2)
                return Status::error(name + " line " + std::to_string(line_number) +
                                     ": need at least one feature and a label");
            if (label < 0) label = static_cast<int>(columns) - 1;
            if (static_cast<std::size_t>(label) >= columns)
                return Status::error(name + ": label column " + std::to_string(label) +
                                     " does not exist (the rows have " + std::to_string(columns) +
                                     " columns)");
            d.features = static_cast<int>(columns) - 1;
        }
        if (fields.size() != columns)
            return Status::error(name + " line " + std::to_string(line_number) + ": expected " +
                                 std::to_string(columns) + " fields, got " +
                                 std::to_string(fields.size()));
        if (d.x.size() + columns > kMaxValues)
            return Status::error(name + ": too large (more than 2^26 values)");
        for (std::size_t c = 0; c < columns; ++c) {
            if (static_cast<int>(c) == label) {
                if (fields[c].empty())
                    return Status::error(name + " line " + std::to_string(line_number) +
                                         ": empty label");
                raw_labels.push_back(fields[c]);
                continue;
            }
            double v;
            if (!parse_double(fields[c], v))
                return Status::error(name + " line " + std::to_string(line_number) + " field " +
                                     std::to_string(c + 1) + ": '" + fields[c].substr(0, 40) +
                                     "' is not a finite number");
            d.x.push_back(static_cast<float>(v));
        }
    }
    if (raw_labels.empty()) return Status::error(name + ": no data rows");
    assign_classes(d, raw_labels);
    return d;
}

Result<Dataset> parse_libsvm(std::string_view text, const std::string& name) {
    struct Row {
        std::vector<std::pair<int, float>> entries;
    };
    std::vector<Row> rows;
    std::vector<std::string> raw_labels;
    int max_index = 0;
    std::size_t line_number = 0, pos = 0, stored = 0;
    while (pos <= text.size()) {
        const std::size_t nl = text.find('\n', pos);
        std::string line(
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line_number;
        const std::size_t hash = line.find('#');
        if (hash != std::string::npos) line = line.substr(0, hash);
        std::istringstream tokens(line);
        std::string token;
        if (!(tokens >> token)) continue;
        const std::string where = name + " line " + std::to_string(line_number);
        double label;
        if (!parse_double(token, label))
            return Status::error(where + ": label '" + token.substr(0, 40) + "' is not a number");
        raw_labels.push_back(token);
        Row row;
        int previous = 0;
        while (tokens >> token) {
            const std::size_t colon = token.find(':');
            if (colon == std::string::npos)
                return Status::error(where + ": '" + token.substr(0, 40) + "' is not index:value");
            char* end = nullptr;
            const std::string idx_text = token.substr(0, colon);
            errno = 0;
            const long idx = std::strtol(idx_text.c_str(), &end, 10);
            if (idx_text.empty() || *end || errno || idx < 1 || idx > 100000000)
                return Status::error(where + ": feature index '" + idx_text.substr(0, 20) +
                                     "' must be an integer from 1 to 1e8");
            if (idx <= previous)
                return Status::error(where + ": feature indices must increase (" +
                                     std::to_string(idx) + " after " + std::to_string(previous) +
                                     ")");
            double v;
            if (!parse_double(token.substr(colon + 1), v))
                return Status::error(where + ": value '" + token.substr(colon + 1, 40) +
                                     "' of feature " + std::to_string(idx) +
                                     " is not a finite number");
            previous = static_cast<int>(idx);
            max_index = std::max(max_index, previous);
            row.entries.emplace_back(previous - 1, static_cast<float>(v));
        }
        stored += row.entries.size();
        rows.push_back(std::move(row));
    }
    if (rows.empty()) return Status::error(name + ": no data rows");
    if (static_cast<double>(rows.size()) * max_index > static_cast<double>(kMaxValues))
        return Status::error(name + ": " + std::to_string(rows.size()) + " rows x " +
                             std::to_string(max_index) +
                             " features is too large to hold densely (at most 2^26 values)");
    Dataset d;
    d.name = name;
    d.features = std::max(1, max_index);
    d.x.assign(rows.size() * static_cast<std::size_t>(d.features), 0.0f);
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (const auto& [j, v] : rows[i].entries)
            d.x[i * static_cast<std::size_t>(d.features) + static_cast<std::size_t>(j)] = v;
    (void)stored;
    assign_classes(d, raw_labels);
    return d;
}

Result<Dataset> parse_idx(const std::vector<std::uint8_t>& images,
                          const std::vector<std::uint8_t>& labels, const std::string& name) {
    auto be32 = [](const std::vector<std::uint8_t>& b, std::size_t at) {
        return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
               (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
    };
    auto hex = [](std::uint32_t v) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%08X", v);
        return std::string(buf);
    };
    if (images.size() < 16)
        return Status::error(name + " images: " + std::to_string(images.size()) +
                             " bytes, shorter than the 16-byte header");
    if (labels.size() < 8)
        return Status::error(name + " labels: " + std::to_string(labels.size()) +
                             " bytes, shorter than the 8-byte header");
    if (be32(images, 0) != 0x00000803u)
        return Status::error(name + " images: bytes 0-3 are " + hex(be32(images, 0)) +
                             ", expected 0x00000803 (unsigned bytes, 3 dimensions)");
    if (be32(labels, 0) != 0x00000801u)
        return Status::error(name + " labels: bytes 0-3 are " + hex(be32(labels, 0)) +
                             ", expected 0x00000801 (unsigned bytes, 1 dimension)");
    const std::uint64_t n = be32(images, 4), rows = be32(images, 8), cols = be32(images, 12);
    const std::uint64_t n_labels = be32(labels, 4);
    if (n != n_labels)
        return Status::error(name + ": " + std::to_string(n) + " images (bytes 4-7) but " +
                             std::to_string(n_labels) + " labels");
    if (rows == 0 || cols == 0 || rows * cols > 1u << 20)
        return Status::error(name + " images: bad size " + std::to_string(rows) + "x" +
                             std::to_string(cols) + " (bytes 8-15)");
    if (images.size() != 16 + n * rows * cols)
        return Status::error(name + " images: header promises " +
                             std::to_string(16 + n * rows * cols) + " bytes, file has " +
                             std::to_string(images.size()));
    if (labels.size() != 8 + n)
        return Status::error(name + " labels: header promises " + std::to_string(8 + n) +
                             " bytes, file has " + std::to_string(labels.size()));
    Dataset d;
    d.name = name;
    d.features = static_cast<int>(rows * cols);
    d.x.resize(n * rows * cols);
    for (std::size_t i = 0; i < d.x.size(); ++i)
        d.x[i] = images[16 + i] / 255.0f;  // pixels in [0, 1]
    int max_label = 0;
    d.y.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        d.y[i] = labels[8 + i];
        if (d.y[i] > 99)
            return Status::error(name + " labels: byte " + std::to_string(8 + i) + " is label " +
                                 std::to_string(d.y[i]) + ", above 99");
        max_label = std::max(max_label, d.y[i]);
    }
    d.classes = max_label + 1;
    for (int c = 0; c < d.classes; ++c) d.class_names.push_back(std::to_string(c));
    return d;
}

Result<Dataset> load_csv(const std::string& path, int label_column) {
    auto text = read_text(path);
    if (!text) return Status::error("csv: " + text.status().message());
    return parse_csv(*text, path, label_column);
}

Result<Dataset> load_libsvm(const std::string& path) {
    auto text = read_text(path);
    if (!text) return Status::error("libsvm: " + text.status().message());
    return parse_libsvm(*text, path);
}

Result<Dataset> load_idx(const std::string& images_path, const std::string& labels_path) {
    auto images = read_bytes(images_path);
    if (!images) return Status::error("idx: " + images.status().message());
    auto labels = read_bytes(labels_path);
    if (!labels) return Status::error("idx: " + labels.status().message());
    return parse_idx(*images, *labels, images_path);
}

std::string dataset_to_bytes(const Dataset& data) {
    ByteWriter w;
    w.text(data.name);
    w.pod<std::int32_t>(data.features), w.pod<std::int32_t>(data.classes);
    w.array(data.x.data(), data.x.size()), w.array(data.y.data(), data.y.size());
    w.pod<std::uint64_t>(data.class_names.size());
    for (const std::string& name : data.class_names) w.text(name);
    return w.take();
}

Result<Dataset> dataset_from_bytes(std::string_view bytes) {
    ByteReader r(bytes);
    Dataset d;
    d.name = r.text();
    d.features = r.pod<std::int32_t>(), d.classes = r.pod<std::int32_t>();
    r.array(d.x), r.array(d.y);
    d.class_names.resize(r.count(sizeof(std::uint64_t)));
    for (std::string& name : d.class_names) name = r.text();
    if (!r.ok() || !r.at_end()) return Status::error("data set bytes cut short or too long");
    const bool sizes_fit = d.features >= 0 && d.classes >= 0 &&
                           d.x.size() == d.y.size() * static_cast<std::size_t>(d.features);
    bool labels_fit = true;
    for (int y : d.y) labels_fit = labels_fit && y >= 0 && y < d.classes;
    if (!sizes_fit || !labels_fit)
        return Status::error("data set bytes whose values do not fit its sizes or classes");
    return d;
}

}  // namespace qlab
