// Layer-check fixture: an upward include (formats -> learn), which the check must reject.
#include "qlab/status.hpp"
#include "qlab/mlp.hpp"
