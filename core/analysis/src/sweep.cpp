// Grid expansion for format sweeps and the sweep job (one quantized training per cell).
#include "qlab/sweep.hpp"

#include <algorithm>
#include <cstdlib>

namespace qlab {

Status expand_choices(const std::string& grid, std::vector<std::string>& specs,
                      std::vector<std::vector<std::string>>& axes) {
    specs = {""};
    axes.clear();
    double count = 1;  // combinations so far
    std::size_t pos = 0;
    while (pos < grid.size()) {
        const std::size_t open = grid.find('{', pos);
        if (open == std::string::npos) {
            for (auto& s : specs) s += grid.substr(pos);
            break;
        }
        const std::size_t close = grid.find('}', open);
        if (close == std::string::npos)
            return Status::error("unclosed '{' at character " + std::to_string(open + 1));
        std::vector<std::string> options;
        const std::string inner = grid.substr(open + 1, close - open - 1);
        for (std::size_t start = 0;;) {
            const std::size_t comma = inner.find(',', start);
            options.push_back(inner.substr(
                start, comma == std::string::npos ? std::string::npos : comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        for (const auto& o : options)
            if (o.empty()) return Status::error("empty choice in '{" + inner + "}'");
        axes.push_back(options);
        count *= static_cast<double>(options.size());
        if (count <= static_cast<double>(kMaxGridCells)) {  // a huge grid is counted, never built
            std::vector<std::string> next;
            for (const auto& s : specs)
                for (const auto& o : options) next.push_back(s + grid.substr(pos, open - pos) + o);
            specs = std::move(next);
        }
        pos = close + 1;
    }
    if (count > static_cast<double>(kMaxGridCells)) {
        specs.clear();
        return Status::error(shortest_repr(count) + " combinations; at most " +
                             std::to_string(kMaxGridCells));
    }
    return Status::success();
}

Result<SweepGrid> expand_grid(const std::string& grid) {
    SweepGrid g;
    if (Status s = expand_choices(grid, g.specs, g.axes); !s) return s;
    g.possible.assign(g.specs.size(), true);
    for (std::size_t i = 0; i < g.specs.size(); ++i) {
        std::string& spec = g.specs[i];
        const std::size_t at = spec.find("bits=");
        if (spec.rfind("float:", 0) == 0 && at != std::string::npos &&
            (at == 6 || spec[at - 1] == ',')) {
            const std::size_t e_at = spec.find("e=");
            const int e = e_at == std::string::npos ? -1 : std::atoi(spec.c_str() + e_at + 2);
            const int bits = std::atoi(spec.c_str() + at + 5);
            const std::size_t end = spec.find(',', at);
            const int m = bits - 1 - e;
            if (e < 0) return Status::error(spec + ": bits= needs e= too");
            g.possible[i] = m >= 1;  // Tables 3-4: "-" where no mantissa bit is left
            spec.replace(at, end == std::string::npos ? std::string::npos : end - at,
                         "m=" + std::to_string(std::max(m, 0)));
        }
        auto f = Format::parse(spec);
        if (!f) return f.status();
    }
    return g;
}

const char* sweep_protocol_name(SweepProtocol protocol) {
    return protocol == SweepProtocol::paper ? "paper" : "converge";
}

Result<SweepProtocol> parse_sweep_protocol(std::string_view name) {
    if (name == "paper") return SweepProtocol::paper;
    if (name == "converge") return SweepProtocol::converge;
    return Status::error("unknown sweep protocol '" + std::string(name) +
                         "' (known: paper = 3 passes, test accuracy; converge = 50 passes, "
                         "training accuracy)");
}

int sweep_protocol_epochs(SweepProtocol protocol) {
    return protocol == SweepProtocol::paper ? kCherkhevEpochs : kConvergeEpochs;
}

bool sweep_protocol_scores_test(SweepProtocol protocol) {
    return protocol == SweepProtocol::paper;
}

SweepJob::SweepJob(const Dataset& data, SweepGrid grid, const QuantizedLinearOptions& base,
                   const SweepPlan& plan, QuantizedLinearAlgorithm algorithm)
    : train_(nullptr), test_(nullptr), base_(base), algorithm_(algorithm) {
    r_.grid = std::move(grid);
    base_.epochs = sweep_protocol_epochs(plan.protocol);
    if (sweep_protocol_scores_test(plan.protocol)) {
        if (!(plan.test_fraction > 0 && plan.test_fraction < 1)) {
            fail_now(Status::error("the paper's protocol needs a test fraction in (0, 1)"));
            return;
        }
        Split split = split_dataset(data, plan.test_fraction, plan.seed);
        own_train_ = std::make_unique<Dataset>(std::move(split.train));
        own_test_ = std::make_unique<Dataset>(std::move(split.test));
        test_ = own_test_.get();
    } else {
        own_train_ = std::make_unique<Dataset>(data);
    }
    train_ = own_train_.get();
    make_cells();
}

SweepJob::SweepJob(const Dataset& train, const Dataset* test, SweepGrid grid,
                   const QuantizedLinearOptions& base, QuantizedLinearAlgorithm algorithm)
    : train_(&train), test_(test), base_(base), algorithm_(algorithm) {
    r_.grid = std::move(grid);
    make_cells();
}

void SweepJob::make_cells() {
    const SweepGrid& grid = r_.grid;
    for (std::size_t i = 0; i < grid.specs.size(); ++i) {
        SweepCell c;
        c.spec = grid.specs[i];
        c.possible = i >= grid.possible.size() || grid.possible[i];
        r_.cells.push_back(std::move(c));
    }
    r_.scores_test = test_ != nullptr;
    r_.epochs = base_.epochs;
    r_.train_rows = train_ ? train_->size() : 0;
    r_.test_rows = test_ ? test_->size() : 0;
    if (r_.cells.empty()) finish_now();
}

double SweepJob::score(const SweepCell& cell) const {
    return r_.score(cell);
}

SweepJob::~SweepJob() = default;

Status SweepJob::do_unit() {
    SweepCell& c = r_.cells[r_.cells_done++];
    c.done = true;
    if (!c.possible) {
        c.error =
            "no such format: the bit budget leaves no mantissa bit after the sign and the exponent "
            "bits (Cherkhev's Tables 3-4 mark these cells \"-\")";
        return Status::success();
    }
    QuantizedLinearOptions o = base_;
    o.format = c.spec;
    QuantizedLinearJob job(*train_, test_, o, algorithm_);
    if (Status s = run_job(job); !s) {
        c.error = s.message();
        return Status::error(c.spec + ": " + s.message());
    }
    c.result = job.result();
    return Status::success();
}

JobProgress SweepJob::progress() const {
    JobProgress p;
    const std::size_t next = r_.cells_done, cells = r_.cells.size();
    p.done = static_cast<long long>(next);
    p.total = static_cast<long long>(cells);
    p.stage = next < cells ? "cell " + std::to_string(next + 1) + " of " + std::to_string(cells) +
                                 ": " + r_.cells[next].spec
                           : "finished " + std::to_string(cells) + " cells";
    return p;
}

}  // namespace qlab
