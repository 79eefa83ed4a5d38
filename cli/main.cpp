// qlab: the headless command over the core. Thin argument parsing only; every
// number it prints comes from qlab_core. One file per subcommand, helpers in common.cpp.
#include <CLI/CLI.hpp>
#include <vector>

#include "common.hpp"

int main(int argc, char** argv) {
    using namespace qlab::cli;
    CLI::App app{"qlab: QuantLab's headless command for number formats and quantized models"};
    app.require_subcommand(1);
    // In the order --help lists them.
    const std::vector<Subcommand> commands = {
        add_quantize(app),       add_format(app),  add_sqnr(app),     add_train(app),
        add_eval(app),           add_sweep(app),   add_bounds(app),   add_cost(app),
        add_allocate(app),       add_ternary(app), add_finetune(app), add_bound_search(app),
        add_ternary_tables(app), add_predict(app), add_export(app),   add_sensitivity(app)};
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return kExitBadInput;
    }
    for (const Subcommand& c : commands)
        if (c.app->parsed()) return c.run();
    return kExitBadInput;
}
