// Cherkhev et al.: Tables 2-4 as printed (test accuracy %, "-" cells as NaN), each with the sweep
// grid that has the same axes in the lab's formats, so `qlab sweep --table ID` and the Perceptron
// lesson can show the paper's cells beside the lab's (the data sets, mushrooms, gisette and
// farm-ads, are not available here; the grids run on substitutes: README, examples/README.md);
// and a search for quantized perceptron runs beyond Theorem 1's mistake bound.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/dataset.hpp"
#include "qlab/job.hpp"
#include "qlab/status.hpp"

namespace qlab {

struct CherkhevTable {
    std::string id;       // "2", "3-fixed", "3-float", "4-fixed", "4-float"
    std::string title;    // e.g. "Table 3 (gisette), floating point: exponent bits x bit budget"
    std::string dataset;  // the paper's data set
    double majority = 0, max_accuracy = 0;   // Table 1's majority baseline and max accuracy, %
    std::vector<std::string> rows, columns;  // as printed
    std::vector<double> cells;               // %, row-major; NaN where the paper prints "-"
    // The lab's grid with these axes, rows x columns ({...} choices in the same order), and which
    // grid row each printed row is (-1: the lab has no such format: an IEEE-style float needs
    // e >= 2, since one exponent bit leaves no normal binade besides the reserved top one).
    std::string grid;
    std::vector<int> grid_row;
    std::string note;  // what to know when reading it beside the lab's cells
    double cell(std::size_t row, std::size_t column) const {
        return cells[row * columns.size() + column];
    }
};

// Tables 2, 3 (fixed and float parts) and 4 (fixed and float parts), in that order.
const std::vector<CherkhevTable>& cherkhev_tables();
const CherkhevTable* find_cherkhev_table(std::string_view id);  // nullptr when unknown
std::string cherkhev_table_ids();                               // "2, 3-fixed, ..." for messages

// The "-" rule of the floating-point tables: a budget of B bits leaves B - 1 - E mantissa bits;
// the paper prints "-" where that is 0 or less, except Table 4's e = 7 at 9 bits (m = 1).
bool cherkhev_float_cell_exists(int exponent_bits, int budget_bits);

}  // namespace qlab

// ---- A search for runs beyond Theorem 1's bound (cherkhev_search.cpp) --------------------------
namespace qlab {

// Random small separable sets that are hard for the perceptron (points near a hyperplane, and
// "simplex" sets where every pair of signed points has a negative inner product, so every point
// is a mistake once), random formats (regular lattices with an odd and an even number of points,
// IEEE-style floats without subnormals, random symmetric codebooks) and example orders; each run
// of the quantized perceptron (Cherkhev §3.3, through QuantizedLinearJob) is held against
// Theorem 1's bound R^2 / (gamma - delta)^2 and the safe one R^2 / (gamma - 2 delta)^2.
struct Theorem1SearchOptions {
    int trials = 200;       // data sets; each is run with `orders` example orders per format
    int formats = 3;        // formats per data set
    int orders = 3;         // example orders per format (seeded shuffles)
    int max_dimension = 6;  // d = 2..max_dimension
    int max_points = 40;    // per data set
    int max_passes = 400;   // perceptron passes per run (it stops at a pass without a mistake)
    // Then greedy refinement of the in-scope run closest to Theorem 1's bound: this many random
    // changes (one point moved, or another order), each kept when it brings the run closer.
    int refine = 200;
    // The closest runs are taken among those whose bound allows at least this many mistakes (a
    // perceptron from w = 0 always makes one, so a bound near 1 is met trivially); every run
    // counts toward the tallies.
    double min_bound = 5;
    std::uint64_t seed = 1;
};

struct Theorem1Run {
    std::string format, generator;
    Dataset data;  // as given to the perceptron (its features are quantized by the format)
    std::uint64_t order_seed = 0;
    long mistakes = 0;
    bool converged = false;
    double margin = 0, delta = 0, radius = 0, start_norm = 0;
    double paper_bound = 0, safe_bound = 0;  // +inf where they do not apply
    double paper_ratio() const { return paper_bound > 0 ? mistakes / paper_bound : 0; }
    double safe_ratio() const { return safe_bound > 0 ? mistakes / safe_bound : 0; }
};

struct Theorem1SearchResult {
    long runs = 0;
    long in_scope = 0;          // delta < gamma and 0 an atom: Theorem 1's hypotheses hold
    long in_scope_even = 0;     // delta < gamma but the start q(0) != 0 (no atom at 0)
    long safe_in_scope = 0;     // delta < gamma / 2: the safe bound is finite
    long above_paper = 0;       // in scope and more mistakes than R^2 / (gamma - delta)^2
    long above_paper_even = 0;  // the same from a start q(0) != 0
    long above_safe = 0;        // more mistakes than the safe bound (the argument says none)
    long refinements_kept = 0;  // refinement steps that brought the closest run closer
    bool found_worst = false, found_worst_even = false, found_worst_safe = false;
    Theorem1Run worst;       // the largest mistakes / paper bound in scope
    Theorem1Run worst_even;  // the same among starts q(0) != 0
    Theorem1Run worst_safe;  // the largest mistakes / safe bound over every run it applies to
};

// One unit is one data set (its formats and orders), then one refinement step. Deterministic for
// a seed.
class Theorem1SearchJob : public Job {
  public:
    explicit Theorem1SearchJob(const Theorem1SearchOptions& options = {});
    ~Theorem1SearchJob() override;
    JobProgress progress() const override;
    const Theorem1SearchResult& result() const;

  protected:
    Status do_unit() override;
    bool is_done() const override;

  private:
    Status refine_step();
    struct State;
    std::unique_ptr<State> s_;
};

// One run as the search does it (the test reruns a reported case through this).
Result<Theorem1Run> theorem1_run(const Dataset& data, const std::string& format,
                                 std::uint64_t order_seed, int max_passes);

}  // namespace qlab
