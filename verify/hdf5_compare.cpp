#include "verify/hdf5_compare.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace og {
namespace {

// Closes an HDF5 handle of any kind when it goes out of scope.
class Handle {
 public:
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() {
    if (id_ >= 0) H5Idec_ref(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
};

hid_t open_image(std::string_view bytes) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // a bad file is an answer, not noise on stderr
  std::vector<char> copy(bytes.begin(), bytes.end());  // HDF5 copies it again; it wants a mutable pointer
  return copy.empty() ? -1 : H5LTopen_file_image(copy.data(), copy.size(), 0);
}

herr_t collect_dataset(hid_t group, const char* name, const H5L_info_t*, void* out) {
  Handle obj(H5Oopen(group, name, H5P_DEFAULT));
  if (obj.ok() && H5Iget_type(obj.get()) == H5I_DATASET) static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

std::vector<std::string> datasets_of(hid_t file) {
  std::vector<std::string> names;
  H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &names);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<hsize_t> shape_of(hid_t dataset) {
  Handle space(H5Dget_space(dataset));
  int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) return {static_cast<hsize_t>(-1)};
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

bool dataset_close(hid_t fa, hid_t fb, const std::string& name, double rel_tol) {
  Handle da(H5Dopen2(fa, name.c_str(), H5P_DEFAULT)), db(H5Dopen2(fb, name.c_str(), H5P_DEFAULT));
  if (!da.ok() || !db.ok()) return false;
  auto dims = shape_of(da.get());
  if (dims != shape_of(db.get())) return false;
  // A provider's file may claim any size: no more than 2^27 values (1 GiB) are read.
  hsize_t count = 1;
  for (hsize_t d : dims) {
    if (d != 0 && count > (hsize_t(1) << 27) / d) return false;
    count *= d;
  }
  Handle ta(H5Dget_type(da.get())), tb(H5Dget_type(db.get()));
  H5T_class_t ca = H5Tget_class(ta.get()), cb = H5Tget_class(tb.get());
  bool numeric = (ca == H5T_INTEGER || ca == H5T_FLOAT) && (cb == H5T_INTEGER || cb == H5T_FLOAT);
  if (numeric) {
    std::vector<double> va(count), vb(count);  // HDF5 converts whatever is stored to double
    if (count > 0 && (H5Dread(da.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, va.data()) < 0 ||
                      H5Dread(db.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, vb.data()) < 0))
      return false;
    for (size_t i = 0; i < count; ++i) {
      if (va[i] == vb[i]) continue;
      if (!std::isfinite(va[i]) || !std::isfinite(vb[i])) return false;
      if (std::fabs(va[i] - vb[i]) > rel_tol * std::max(std::fabs(va[i]), std::fabs(vb[i]))) return false;
    }
    return true;
  }
  // Anything else: the same type and the same bytes (fixed-size types only).
  if (H5Tequal(ta.get(), tb.get()) <= 0 || H5Tis_variable_str(ta.get()) > 0 || ca == H5T_VLEN) return false;
  size_t size = H5Tget_size(ta.get()) * count;
  std::vector<char> ba(size), bb(size);
  if (size > 0 && (H5Dread(da.get(), ta.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ba.data()) < 0 ||
                   H5Dread(db.get(), tb.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bb.data()) < 0))
    return false;
  return ba == bb;
}

}  // namespace

bool is_hdf5_output(std::string_view path) {
  auto ends = [&](std::string_view suffix) {
    return path.size() > suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  return ends(".h5") || ends(".hdf5");
}

bool hdf5_close(std::string_view a, std::string_view b, double rel_tol) try {
  Handle fa(open_image(a)), fb(open_image(b));
  if (!fa.ok() || !fb.ok()) return false;
  auto names = datasets_of(fa.get());
  if (names != datasets_of(fb.get())) return false;
  for (const auto& name : names)
    if (!dataset_close(fa.get(), fb.get(), name, rel_tol)) return false;
  return true;
} catch (const std::bad_alloc&) {
  return false;
}

}  // namespace og
