// Where an analysis's assumptions do not hold for the shared model, in words the lessons show
// instead of (or beside) numbers that would mislead: an imported model need not follow the
// conventions the lab's own networks are built for.
#pragma once

#include <string>
#include <vector>

#include "lab/shared_model.hpp"

namespace quantlab {

// Sakr's fixed-point network (Precision): inputs in [-1, 1] as fixed:w=B_A,f=B_A-1 and hidden
// outputs in [0, 2) as ufixed (or [-1, 1) as fixed when one can be negative). One line per
// assumption that does not hold: inputs beyond [-1, 1] (clipped), hidden outputs that are
// unbounded (ReLU, LeakyReLU, none, a clip past 2: they saturate). Empty when all hold.
std::vector<std::string> sakr_assumption_problems(const SharedModel& m);

// The hidden layers' activations of `model`, each named once in order of first use ("relu",
// "relu, tanh"); pooling and the output layer are not hidden activations. Empty for a model
// with no hidden layer.
std::string hidden_activations_text(const qlab::Model& model);
// Whether a hidden output of `model` can exceed 2, the top of Sakr's ufixed range [0, 2): ReLU,
// LeakyReLU, no activation or a clip past 2. Such outputs saturate in the fixed-point network.
bool hidden_outputs_saturate(const qlab::Model& model);

}  // namespace quantlab
