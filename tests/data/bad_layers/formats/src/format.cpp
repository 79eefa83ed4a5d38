// Layer-check fixture: an upward include (formats -> learn), which the check must reject.
#include "qlab/mlp.hpp"
#include "qlab/status.hpp"
