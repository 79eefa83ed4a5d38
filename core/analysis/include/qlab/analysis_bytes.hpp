// The analyses' options and results as bytes (qlab/bytes.hpp), for another instance of the same
// build: the lab's Web Worker runs an analysis and the page shows its result exactly as if it had
// run there. Every reader refuses a cut or foreign input with a message and leaves `out` alone.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qlab/bitflip.hpp"
#include "qlab/calibration.hpp"
#include "qlab/dataset.hpp"
#include "qlab/kundu.hpp"
#include "qlab/kundu_tables.hpp"
#include "qlab/lin.hpp"
#include "qlab/pareto.hpp"
#include "qlab/sakr.hpp"
#include "qlab/sensitivity.hpp"
#include "qlab/status.hpp"
#include "qlab/sweep.hpp"

namespace qlab {

std::string to_bytes(const SensitivityOptions& options);
Status from_bytes(std::string_view bytes, SensitivityOptions& out);
std::string to_bytes(const SensitivityResult& result);
Status from_bytes(std::string_view bytes, SensitivityResult& out);

std::string to_bytes(const SakrOptions& options);
Status from_bytes(std::string_view bytes, SakrOptions& out);
// The analysis whole (its model, estimation set and pairs): bounds() and SakrBoundsJob work on
// the copy as on the original.
std::string to_bytes(const SakrAnalysis& analysis);
Status from_bytes(std::string_view bytes, SakrAnalysis& out);

// A SakrSimJob's inputs beside the model and the data: whether to run the fixed-point network on
// the data, the noise simulation's rows (the estimation set; empty: none), the float decisions
// already known, the precisions and the options.
struct SakrSimRequest {
    bool with_data = true;
    Matrix noise_rows;
    std::vector<int> float_decisions;
    std::vector<std::pair<int, int>> precisions;
    SakrSimOptions options;
};
std::string to_bytes(const SakrSimRequest& request);
Status from_bytes(std::string_view bytes, SakrSimRequest& out);
std::string to_bytes(const SakrSimResult& result);
Status from_bytes(std::string_view bytes, SakrSimResult& out);

std::string to_bytes(const LinSweepOptions& options);
Status from_bytes(std::string_view bytes, LinSweepOptions& out);
std::string to_bytes(const LinSweepResult& result);
Status from_bytes(std::string_view bytes, LinSweepResult& out);
std::string to_bytes(const TradeoffOptions& options);
Status from_bytes(std::string_view bytes, TradeoffOptions& out);
std::string to_bytes(const TradeoffResult& result);
Status from_bytes(std::string_view bytes, TradeoffResult& out);
std::string to_bytes(const BitFlipOptions& options);
Status from_bytes(std::string_view bytes, BitFlipOptions& out);
std::string to_bytes(const BitFlipResult& result);
Status from_bytes(std::string_view bytes, BitFlipResult& out);
// ---- Kundu and Pareto

std::string to_bytes(const KunduOptions& options);
Status from_bytes(std::string_view bytes, KunduOptions& out);
// Every layer's blocks and terms (their signs), errors and order, and the levels.
std::string to_bytes(const KunduResult& result);
Status from_bytes(std::string_view bytes, KunduResult& out);

std::string to_bytes(const ParetoOptions& options);
Status from_bytes(std::string_view bytes, ParetoOptions& out);
std::string to_bytes(const ParetoResult& result);
Status from_bytes(std::string_view bytes, ParetoResult& out);

std::string to_bytes(const KunduTablesOptions& options);
Status from_bytes(std::string_view bytes, KunduTablesOptions& out);
std::string to_bytes(const KunduTablesResult& result);
Status from_bytes(std::string_view bytes, KunduTablesResult& out);
// What KunduTablesJob needs beyond the model and the test data: its options and calibration set
// (the rows it reads: first_rows(calibration, options.calibration_rows) gives the same job).
struct KunduTablesRequest {
    KunduTablesOptions options;
    Dataset calibration;
};
std::string to_bytes(const KunduTablesRequest& request);
Status from_bytes(std::string_view bytes, KunduTablesRequest& out);

// ---- Cherkhev's format sweep

// What a SweepJob needs beyond its data (the training rows, or all rows with a plan): the grid,
// the cells' training options and algorithm, and either the plan (the job splits the data
// itself) or the held-out rows it scores on (none: it scores its training rows).
struct SweepRequest {
    SweepGrid grid;
    QuantizedLinearOptions base;
    QuantizedLinearAlgorithm algorithm = QuantizedLinearAlgorithm::perceptron;
    bool use_plan = false;
    SweepPlan plan;
    bool has_test = false;
    Dataset test;
};
std::string to_bytes(const SweepRequest& request);
Status from_bytes(std::string_view bytes, SweepRequest& out);
std::string to_bytes(const SweepResult& result);
Status from_bytes(std::string_view bytes, SweepResult& out);

// ---- post-training calibration

// What a CalibrationJob needs beyond the model and the test rows: its options and the rows it
// calibrates on (the first kCalibrationRows are all it reads).
struct CalibrationRequest {
    CalibrationOptions options;
    Dataset calibration;
};
std::string to_bytes(const CalibrationRequest& request);
Status from_bytes(std::string_view bytes, CalibrationRequest& out);
std::string to_bytes(const CalibrationResult& result);
Status from_bytes(std::string_view bytes, CalibrationResult& out);

}  // namespace qlab
