// Parsers of the individual formats, one implementation file each; format.cpp keeps the registry.
#pragma once

#include <memory>

#include "qlab/format.hpp"
#include "spec_args.hpp"

namespace qlab::detail {

using ImplResult = Result<std::shared_ptr<const FormatImpl>>;

ImplResult parse_fixed(SpecArgs& args, bool is_signed);
ImplResult parse_float(SpecArgs& args);
ImplResult parse_lattice(SpecArgs& args);

using qlab::shortest_repr;

}  // namespace qlab::detail
