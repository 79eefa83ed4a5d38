// Accuracy over a grid of formats (Cherkhev Tables 2-4): the grid syntax "lattice:range={0.5,1},
// points={8,16}" (and float bit budgets, bits=B) expanded into cells, and a job that trains the
// quantized perceptron or Frank-Wolfe once per cell, so `qlab sweep` and the lab share one path.
#pragma once

#include <memory>
#include <string>
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
// B - 1 - E mantissa bits (written as m=); a budget below 1 + E makes an impossible cell (kept, as
// m=0, with possible false). Every cell's spec is checked by Format::parse.
Result<SweepGrid> expand_grid(const std::string& grid);

struct SweepCell {
    std::string spec;
    bool possible = true;
    bool done = false;
    std::string error;             // why the cell has no result (an impossible format)
    QuantizedLinearResult result;  // when done and possible
};

// One unit is one cell: a whole quantized perceptron / Frank-Wolfe training with `base` options
// and the cell's format. Keeps references to train and test, which must outlive the job. A
// training error (e.g. data without two classes) fails the job with "SPEC: message".
class SweepJob : public Job {
  public:
    SweepJob(const Dataset& train, const Dataset* test, SweepGrid grid,
             const QuantizedLinearOptions& base,
             QuantizedLinearAlgorithm algorithm = QuantizedLinearAlgorithm::perceptron);
    ~SweepJob() override;

    JobProgress progress() const override;  // done/total count cells
    const SweepGrid& grid() const { return grid_; }
    const std::vector<SweepCell>& cells() const { return cells_; }  // done ones have done set
    std::size_t cells_done() const { return next_; }

  protected:
    Status do_unit() override;
    bool is_done() const override { return next_ >= cells_.size(); }

  private:
    const Dataset& train_;
    const Dataset* test_;
    SweepGrid grid_;
    QuantizedLinearOptions base_;
    QuantizedLinearAlgorithm algorithm_;
    std::vector<SweepCell> cells_;
    std::size_t next_ = 0;
};

}  // namespace qlab
