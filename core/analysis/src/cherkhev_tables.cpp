// Cherkhev et al.'s Tables 2-4, transcribed from the paper (test accuracy %, "-" as NaN).
#include <cmath>

#include "qlab/cherkhev.hpp"

namespace qlab {
namespace {

constexpr double kDash = NAN;

CherkhevTable make(std::string id, std::string title, std::string dataset, double majority,
                   double max_accuracy, std::vector<std::string> rows,
                   std::vector<std::string> columns, std::vector<double> cells, std::string grid,
                   std::vector<int> grid_row, std::string note) {
    CherkhevTable t;
    t.id = std::move(id);
    t.title = std::move(title);
    t.dataset = std::move(dataset);
    t.majority = majority;
    t.max_accuracy = max_accuracy;
    t.rows = std::move(rows);
    t.columns = std::move(columns);
    t.cells = std::move(cells);
    t.grid = std::move(grid);
    t.grid_row = std::move(grid_row);
    t.note = std::move(note);
    return t;
}

}  // namespace

bool cherkhev_float_cell_exists(int exponent_bits, int budget_bits) {
    return budget_bits - 1 - exponent_bits >= 1;
}

const std::vector<CherkhevTable>& cherkhev_tables() {
    static const std::vector<CherkhevTable> tables = {
        make("2", "Table 2 (mushrooms), fixed point: range x lattice points per dimension",
             "mushrooms", 52, 100,
             {"[-0.5, 0.5]", "[-0.75, 0.75]", "[-1, 1]", "[-2, 2]", "[-4, 4]", "[-8, 8]"},
             {"8", "16", "32", "64", "128", "256"}, {52, 93, 97, 98,  100, 100,  //
                                                     48, 93, 99, 100, 100, 100,  //
                                                     52, 93, 95, 98,  99,  100,  //
                                                     52, 48, 88, 96,  99,  100,  //
                                                     48, 48, 52, 99,  100, 100,  //
                                                     48, 48, 52, 48,  85,  99},
             "lattice:range={0.5,0.75,1,2,4,8},points={8,16,32,64,128,256}", {0, 1, 2, 3, 4, 5},
             "112 boolean features: they sit exactly on any lattice that holds 0 and 1"),
        make("3-fixed", "Table 3 (gisette), fixed point: range x bit budget (2^bits points)",
             "gisette", 50, 97, {"[-8, 8]", "[-16, 16]", "[-32, 32]", "[-64, 64]", "[-128, 128]"},
             {"6 bits", "7 bits", "8 bits", "9 bits"}, {90, 89, 62, 50,  //
                                                        92, 93, 88, 88,  //
                                                        50, 90, 94, 93,  //
                                                        50, 50, 91, 94,  //
                                                        50, 50, 50, 89},
             "lattice:range={8,16,32,64,128},points={64,128,256,512}", {0, 1, 2, 3, 4},
             "gisette is MNIST's 4 against 9 with added probe features (5000 real features)"),
        make("3-float",
             "Table 3 (gisette), floating point: exponent bits x bit budget (1 sign bit, the rest "
             "mantissa)",
             "gisette", 50, 97, {"e = 1", "e = 2", "e = 3", "e = 4", "e = 5", "e = 6", "e = 7"},
             {"6 bits", "7 bits", "8 bits", "9 bits"}, {57,    71,    82,    82,  //
                                                        88,    81,    88,    82,  //
                                                        81,    85,    83,    94,  //
                                                        50,    51,    88,    94,  //
                                                        kDash, 50,    50,    77,  //
                                                        kDash, kDash, 50,    50,  //
                                                        kDash, kDash, kDash, 50},
             "float:e={2,3,4,5,6,7},bits={6,7,8,9},sub=0,sat=1", {-1, 0, 1, 2, 3, 4, 5},
             "no subnormals, overflow saturates (§4.1); '-' where no mantissa bit is left"),
        make("4-fixed", "Table 4 (farm-ads), fixed point: range x bit budget (2^bits points)",
             "farm-ads", 53, 88, {"[-8, 8]", "[-16, 16]", "[-32, 32]", "[-64, 64]", "[-128, 128]"},
             {"9 bits", "10 bits", "11 bits", "12 bits"}, {83, 82, 79, 86,  //
                                                           77, 77, 76, 87,  //
                                                           51, 59, 66, 88,  //
                                                           51, 51, 56, 87,  //
                                                           51, 51, 52, 88},
             "lattice:range={8,16,32,64,128},points={512,1024,2048,4096}", {0, 1, 2, 3, 4},
             "farm-ads has 54,877 boolean (bag-of-words) features"),
        make("4-float",
             "Table 4 (farm-ads), floating point: exponent bits x bit budget (1 sign bit, the rest "
             "mantissa)",
             "farm-ads", 53, 88, {"e = 1", "e = 2", "e = 3", "e = 4", "e = 5", "e = 6", "e = 7"},
             {"7 bits", "8 bits", "9 bits", "10 bits"}, {84,    84,    84,    84,  //
                                                         86,    89,    87,    87,  //
                                                         87,    86,    86,    86,  //
                                                         85,    87,    89,    89,  //
                                                         85,    85,    89,    87,  //
                                                         kDash, 85,    85,    85,  //
                                                         kDash, kDash, kDash, 85},
             "float:e={2,3,4,5,6,7},bits={7,8,9,10},sub=0,sat=1", {-1, 0, 1, 2, 3, 4, 5},
             "the paper marks e = 7 at 9 bits '-' although that budget leaves m = 1 mantissa bit "
             "(every other '-' has m <= 0); the lab runs that cell"),
    };
    return tables;
}

const CherkhevTable* find_cherkhev_table(std::string_view id) {
    for (const CherkhevTable& t : cherkhev_tables())
        if (t.id == id) return &t;
    return nullptr;
}

std::string cherkhev_table_ids() {
    std::string ids;
    for (const CherkhevTable& t : cherkhev_tables()) ids += (ids.empty() ? "" : ", ") + t.id;
    return ids;
}

}  // namespace qlab
