// Fuzzy verification of HDF5 outputs: datasets compared number by number.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "temp_dir.hpp"
#include "verify/hdf5_compare.hpp"

namespace og {
namespace {

// Writes a file with a 2×3 "weights" dataset (and a "step" scalar), returns its bytes.
std::string h5_file(const std::string& path, std::vector<double> weights, int step = 7, bool with_extra = false) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {2, 3};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t ds = H5Dcreate2(file, "weights", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, weights.data());
  H5Dclose(ds);
  H5Sclose(space);
  hid_t scalar = H5Screate(H5S_SCALAR);
  hid_t st = H5Dcreate2(file, "step", H5T_STD_I32LE, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(st, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, &step);
  H5Dclose(st);
  if (with_extra) {
    hid_t group = H5Gcreate2(file, "opt", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t ex = H5Dcreate2(group, "lr", H5T_IEEE_F64LE, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double lr = 0.1;
    H5Dwrite(ex, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &lr);
    H5Dclose(ex);
    H5Gclose(group);
  }
  H5Sclose(scalar);
  H5Fclose(file);
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Hdf5Compare, DatasetsAgreeWithinTheTolerance) {
  test::TempDir dir("og-h5-test");
  auto at = [&](const char* name) { return (dir.path() / name).string(); };
  std::string a = h5_file(at("a.h5"), {1, 2, 3, 4, 5, 6});
  std::string close = h5_file(at("b.h5"), {1, 2, 3.0000001, 4, 5, 6});
  std::string far = h5_file(at("c.h5"), {1, 2, 3.1, 4, 5, 6});
  std::string other_step = h5_file(at("d.h5"), {1, 2, 3, 4, 5, 6}, 8);
  std::string extra = h5_file(at("e.h5"), {1, 2, 3, 4, 5, 6}, 7, true);
  EXPECT_TRUE(hdf5_close(a, close, 1e-6));
  EXPECT_FALSE(hdf5_close(a, far, 1e-6));
  EXPECT_TRUE(hdf5_close(a, far, 0.1));
  EXPECT_FALSE(hdf5_close(a, other_step, 1e-6)) << "an integer dataset differs by more";
  EXPECT_FALSE(hdf5_close(a, extra, 1e-6)) << "a dataset only one of them has (opt/lr)";
  EXPECT_TRUE(hdf5_close(extra, extra, 1e-9));
  EXPECT_FALSE(hdf5_close(a, "not hdf5 at all", 1e-6));
  EXPECT_FALSE(hdf5_close("", "", 1e-6));
  EXPECT_TRUE(is_hdf5_output("ckpt/step-100.h5"));
  EXPECT_TRUE(is_hdf5_output("model.hdf5"));
  EXPECT_FALSE(is_hdf5_output("h5"));
}

}  // namespace
}  // namespace og
