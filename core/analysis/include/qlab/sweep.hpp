// Accuracy over a grid of formats (Cherkhev Tables 2-4): the grid syntax "lattice:range={0.5,1},
// points={8,16}" (and float bit budgets, bits=B) expanded into cells, and a job that trains the
// quantized perceptron or Frank-Wolfe once per cell, so `qlab sweep` and the lab share one path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/perceptron.hpp"
#include "qlab/status.hpp"

namespace qlab {

// The most cells a grid may have.
constexpr std::size_t kMaxGridCells = 400;

struct SweepGrid {
    std::vector<std::string> specs;  // one format spec per cell, row-major
    std::vector<bool> possible;      // false: no such format (a bit budget too small for e)
    std::vector<std::vector<std::string>> axes;  // the choices of each {...}: rows, then columns
    std::size_t rows() const { return axes.size() == 2 ? axes[0].size() : specs.size(); }
    std::size_t columns() const { return axes.size() == 2 ? axes[1].size() : 1; }
};

// Only the {a,b,...} choices: every combination in row-major order (the last {...} varies fastest).
// Errors name the syntax problem (an unclosed '{', an empty choice, more than kMaxGridCells).
Status expand_choices(const std::string& grid, std::vector<std::string>& specs,
                      std::vector<std::vector<std::string>>& axes);

// The choices, then Cherkhev's bit budgets: float:e=E,bits=B means 1 sign bit, E exponent bits and
// B - 1 - E mantissa bits (written as m=). A budget that leaves no mantissa bit (B <= 1 + E) is a
// "-" cell, as Tables 3-4 mark them (kept, as m=0, with possible false); one "-" of Table 4
// (e = 7 at 9 bits, m = 1) breaks that rule and is no "-" here. Every cell's spec is checked by
// Format::parse.
Result<SweepGrid> expand_grid(const std::string& grid);

// How a sweep trains and scores its cells. Cherkhev §4.2: "we ran Perceptron for 3 epochs with a
// fixed learning rate of 1" (the update w + y x itself), and Tables 2-4 report test-set accuracy.
//  - paper: 3 passes, each cell scored on held-out data (a seeded split of test_fraction when
//    the job splits the data itself);
//  - converge: 50 passes (stopping early at a pass without a mistake), each cell scored on its
//    training data: where the perceptron ends up rather than what it generalises.
enum class SweepProtocol { paper, converge };
constexpr int kCherkhevEpochs = 3;
constexpr int kConvergeEpochs = 50;
const char* sweep_protocol_name(SweepProtocol protocol);
Result<SweepProtocol> parse_sweep_protocol(std::string_view name);
int sweep_protocol_epochs(SweepProtocol protocol);
bool sweep_protocol_scores_test(SweepProtocol protocol);
struct SweepPlan {
    SweepProtocol protocol = SweepProtocol::paper;
    double test_fraction = 0.2;  // paper: held out by the job (split_dataset: a seeded shuffle)
    std::uint64_t seed = 1;      // the split
};

struct SweepCell {
    std::string spec;
    bool possible = true;
    bool done = false;
    std::string error;             // why the cell has no result (an impossible format)
    QuantizedLinearResult result;  // when done and possible
};

// What a sweep has found so far: its cells, and how they are scored.
struct SweepResult {
    SweepGrid grid;
    std::vector<SweepCell> cells;  // done ones have done set
    std::size_t cells_done = 0;
    bool scores_test = false;  // held-out data (else the training data)
    int epochs = 0;
    std::size_t train_rows = 0, test_rows = 0;
    double score(const SweepCell& cell) const {
        return scores_test ? cell.result.test_accuracy : cell.result.train_accuracy;
    }
};

// One unit is one cell: a whole quantized perceptron / Frank-Wolfe training with `base` options
// and the cell's format. The first constructor keeps references to train and test, which must
// outlive the job; the second takes one data set, copies it, and applies a protocol (the paper's
// splits it, holding out plan.test_fraction; base.epochs is replaced by the protocol's). A
// training error (e.g. data without two classes) fails the job with "SPEC: message".
class SweepJob : public Job {
  public:
    SweepJob(const Dataset& train, const Dataset* test, SweepGrid grid,
             const QuantizedLinearOptions& base,
             QuantizedLinearAlgorithm algorithm = QuantizedLinearAlgorithm::perceptron);
    SweepJob(const Dataset& data, SweepGrid grid, const QuantizedLinearOptions& base,
             const SweepPlan& plan,
             QuantizedLinearAlgorithm algorithm = QuantizedLinearAlgorithm::perceptron);
    ~SweepJob() override;

    JobProgress progress() const override;  // done/total count cells
    const SweepResult& result() const { return r_; }
    const SweepGrid& grid() const { return r_.grid; }
    const std::vector<SweepCell>& cells() const { return r_.cells; }  // done ones have done set
    std::size_t cells_done() const { return r_.cells_done; }
    // What the table shows for a done, possible cell: its test accuracy when the job scores
    // held-out data (a test set was given, or the paper's protocol split one off), else its
    // training accuracy.
    bool scores_test() const { return test_ != nullptr; }
    double score(const SweepCell& cell) const;
    int epochs() const { return base_.epochs; }
    const Dataset& train() const { return *train_; }
    const Dataset* test() const { return test_; }

  protected:
    Status do_unit() override;
    bool is_done() const override { return r_.cells_done >= r_.cells.size(); }

  private:
    void make_cells();                               // and the rest of r_
    std::unique_ptr<Dataset> own_train_, own_test_;  // the second constructor's copies
    const Dataset* train_;
    const Dataset* test_;
    QuantizedLinearOptions base_;
    QuantizedLinearAlgorithm algorithm_;
    SweepResult r_;
};

}  // namespace qlab
