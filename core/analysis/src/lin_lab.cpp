// What the Layers lesson adds to Lin 2016 on a model: Lin's formats at one width for every step
// (as LinSweepJob builds them per width), and an SQNR meter per layer, measured beside eq. 9.
#include <algorithm>
#include <cmath>
#include <limits>

#include "qlab/lin.hpp"

#include "analysis_common.hpp"

namespace qlab {
namespace {

double sqnr_between(const Matrix& reference, const Matrix& quantized) {
    return detail::sqnr_db(reference.data(), quantized.data(),
                           static_cast<std::size_t>(reference.size()));
}

}  // namespace

Result<LinFormats> lin_formats(const Model& model, const Dataset& data, int bits,
                               const LinFormatOptions& format, std::size_t max_rows) {
    if (Status s = detail::check_model_data(model, data); !s) return s;
    if (bits < 2 || bits > 16) return Status::error("bits must be from 2 to 16");
    const Dataset sub = first_rows(data, max_rows);
    LinFormats out;
    out.eval.layers.resize(model.layers.size());
    // The steps in model_sqnr's order: W_l, then a_l for every layer but the last (a max-pool is
    // no step: the max of values on a grid is on that grid).
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        const Layer& L = model.layers[l];
        if (L.kind == LayerKind::maxpool2d) continue;
        if (L.has_weights()) {  // an average pool: only its output is a step
            QuantStep w;
            w.layer = l;
            w.role = StepRole::weights;
            w.count = static_cast<std::size_t>(L.weight.size());
            w.format = lin_fixed_format(
                std::vector<double>(L.weight.data(), L.weight.data() + L.weight.size()), bits,
                format);
            out.eval.layers[l].weights = w.format;
            out.steps.push_back(w);
        }
        if (l + 1 == model.layers.size()) continue;
        const Matrix a = hidden_outputs(model, sub, l, sub.size());
        QuantStep act;
        act.layer = l;
        act.role = StepRole::activations;
        act.count = static_cast<std::size_t>(a.size());
        act.format =
            lin_fixed_format(std::vector<double>(a.data(), a.data() + a.size()), bits, format);
        out.eval.layers[l].activations = act.format;
        out.steps.push_back(act);
    }
    return out;
}

Result<std::vector<LayerSqnrMeter>> layer_sqnr_meters(const Model& model, const Dataset& data,
                                                      const EvalOptions& formats,
                                                      const ModelSqnr& sqnr, std::size_t max_rows) {
    if (Status s = detail::check_model_data(model, data); !s) return s;
    const Dataset sub = first_rows(data, max_rows);
    std::vector<LayerSqnrMeter> out;
    std::vector<double> so_far;  // step SQNRs up to the layer, in network order
    std::size_t next_step = 0;
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        if (!model.layers[l].has_weights()) continue;
        const bool last = l + 1 == model.layers.size();
        while (next_step < sqnr.steps.size() && sqnr.steps[next_step].layer <= l)
            so_far.push_back(sqnr.steps[next_step++].sqnr_db);
        LayerSqnrMeter m;
        m.layer = l;
        m.steps = so_far.size();
        m.predicted_db = predicted_output_sqnr_db(so_far);
        if (last) {
            m.measured_db = sqnr.measured_output_db;  // the scores, as model_sqnr measured them
        } else {
            // The network cut after l gives a^(l) from the quantized layers before it (its own
            // output is not quantized by predict_scores, being the cut network's scores); a_l's
            // format is applied here, as the full network applies it before layer l + 1.
            Model cut;
            cut.layers.assign(model.layers.begin(),
                              model.layers.begin() + static_cast<std::ptrdiff_t>(l + 1));
            EvalOptions e = formats;
            if (e.layers.size() > l + 1) e.layers.resize(l + 1);
            Matrix quantized = predict_scores(cut, sub, e);
            const std::string& spec = l < formats.layers.size() ? formats.layers[l].activations
                                                                : formats.roles.activations;
            if (!spec.empty()) {
                auto f = Format::parse(spec);
                if (!f) return Status::error("activations: " + f.status().message());
                f->quantize(quantized.data(), quantized.data(),
                            static_cast<std::size_t>(quantized.size()));
            }
            m.measured_db = sqnr_between(hidden_outputs(model, sub, l, sub.size()), quantized);
        }
        out.push_back(m);
    }
    return out;
}

Result<LinSnapshot> lin_snapshot(const Model& model, const Dataset& data, int bits,
                                 std::size_t max_rows) {
    LinSnapshot snap;
    auto formats = lin_formats(model, data, bits, {}, max_rows);
    if (!formats) return formats.status();
    snap.formats = std::move(formats).value();
    SqnrOptions o;
    o.max_rows = max_rows;
    auto sq = model_sqnr(model, data, snap.formats.eval, o);
    if (!sq) return sq.status();
    snap.sqnr = std::move(sq).value();
    auto meters = layer_sqnr_meters(model, data, snap.formats.eval, snap.sqnr, max_rows);
    if (!meters) return meters.status();
    snap.meters = std::move(meters).value();
    return snap;
}

}  // namespace qlab
