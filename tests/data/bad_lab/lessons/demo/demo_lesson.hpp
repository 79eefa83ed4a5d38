// A lesson logic file that must not pass the check: it reaches into the browser side.
#pragma once
#include "app.hpp"
