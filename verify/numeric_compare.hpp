// --verify=fuzzy:REL_TOL: replicas of a numeric job may differ in the last bits of their
// floating-point results (other CPUs, other libraries, other summation orders). Their
// CSV outputs then agree when they have the same shape and every number matches within
// the relative tolerance; anything that is not a number must match exactly.
#pragma once

#include <string_view>

#include "core/verify_mode.hpp"

namespace og {

// Whether a file is compared number by number under fuzzy verification: CSV and HDF5.
bool is_numeric_output(std::string_view path);
// Two versions of such a file, compared by the rules of its kind.
bool numeric_outputs_close(std::string_view path, std::string_view a, std::string_view b, double rel_tol);
// Cells split at commas, whitespace and line ends.
bool csv_close(std::string_view a, std::string_view b, double rel_tol);

}  // namespace og
