// Layer-check fixture: the higher layer.
#pragma once
#include "qlab/status.hpp"
