// --verify=fuzzy for HDF5 outputs (checkpoints, results): two files agree when they hold
// datasets of the same names and shapes whose numbers match within the relative tolerance.
// Only datasets are compared — attributes and the file's own metadata (object timestamps,
// layout) differ from run to run without the data differing. A dataset of another type
// (strings, compounds) must be byte-identical.
#pragma once

#include <string_view>

namespace og {

bool is_hdf5_output(std::string_view path);
// a and b are whole files; anything that does not open as HDF5 does not agree.
bool hdf5_close(std::string_view a, std::string_view b, double rel_tol);

}  // namespace og
