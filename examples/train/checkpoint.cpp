#include "examples/train/checkpoint.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace og::train {
namespace {

constexpr const char* kFormat = "og-train checkpoint 1";

void write_file(const std::string& tmp, const Network& network, const Checkpoint& checkpoint, bool with_optimizer);

// Closes an HDF5 handle when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t), const std::string& what) : id_(id), close_(close) {
    if (id < 0) throw std::runtime_error("HDF5: cannot " + what);
  }
  ~Handle() { close_(id_); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void ok(herr_t rc, const std::string& what) {
  if (rc < 0) throw std::runtime_error("HDF5: cannot " + what);
}

// Object creation properties without modification times, so files are reproducible.
Handle untimed(hid_t cls) {
  Handle plist(H5Pcreate(cls), H5Pclose, "create a property list");
  ok(H5Pset_obj_track_times(plist, false), "turn off timestamps");
  return Handle(H5Pcopy(plist), H5Pclose, "copy a property list");
}

template <typename T>
void write_attribute(hid_t at, const char* name, hid_t type, const T* values, hsize_t count) {
  Handle space(H5Screate_simple(1, &count, nullptr), H5Sclose, "create a dataspace");
  Handle attr(H5Acreate2(at, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              std::string("create attribute ") + name);
  ok(H5Awrite(attr, type, values), std::string("write attribute ") + name);
}
void write_u64(hid_t at, const char* name, uint64_t v) { write_attribute(at, name, H5T_NATIVE_UINT64, &v, 1); }
void write_f64(hid_t at, const char* name, double v) { write_attribute(at, name, H5T_NATIVE_DOUBLE, &v, 1); }
void write_string(hid_t at, const char* name, const std::string& v) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "copy a string type");
  ok(H5Tset_size(type, v.size() + 1), "size a string type");
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  Handle attr(H5Acreate2(at, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              std::string("create attribute ") + name);
  ok(H5Awrite(attr, type, v.c_str()), std::string("write attribute ") + name);
}

template <typename T>
void read_attribute(hid_t at, const char* name, hid_t type, T* values, hsize_t count) {
  if (H5Aexists(at, name) <= 0) throw std::runtime_error(std::string("attribute ") + name + " is missing");
  Handle attr(H5Aopen(at, name, H5P_DEFAULT), H5Aclose, std::string("open attribute ") + name);
  Handle space(H5Aget_space(attr), H5Sclose, "read a dataspace");
  if (H5Sget_simple_extent_npoints(space) != hssize_t(count))
    throw std::runtime_error(std::string("attribute ") + name + " has the wrong size");
  ok(H5Aread(attr, type, values), std::string("read attribute ") + name);
}
uint64_t read_u64(hid_t at, const char* name) {
  uint64_t v = 0;
  read_attribute(at, name, H5T_NATIVE_UINT64, &v, 1);
  return v;
}
double read_f64(hid_t at, const char* name) {
  double v = 0;
  read_attribute(at, name, H5T_NATIVE_DOUBLE, &v, 1);
  return v;
}
std::string read_string(hid_t at, const char* name) {
  if (H5Aexists(at, name) <= 0) throw std::runtime_error(std::string("attribute ") + name + " is missing");
  Handle attr(H5Aopen(at, name, H5P_DEFAULT), H5Aclose, std::string("open attribute ") + name);
  Handle type(H5Aget_type(attr), H5Tclose, "read a type");
  if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) > 0)
    throw std::runtime_error(std::string("attribute ") + name + " is not a fixed-length string");
  std::string v(H5Tget_size(type), '\0');
  ok(H5Aread(attr, type, v.data()), std::string("read attribute ") + name);
  return v.substr(0, v.find('\0'));
}

void write_dataset(hid_t group, const std::string& name, const std::vector<hsize_t>& shape, hid_t type,
                   const void* data, hid_t dcpl) {
  Handle space(H5Screate_simple(int(shape.size()), shape.data(), nullptr), H5Sclose, "create a dataspace");
  Handle set(H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
             "create dataset " + name);
  ok(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write dataset " + name);
}

void read_dataset(hid_t group, const std::string& name, hid_t type, void* data, hsize_t count) {
  if (H5Lexists(group, name.c_str(), H5P_DEFAULT) <= 0) throw std::runtime_error("dataset " + name + " is missing");
  Handle set(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset " + name);
  Handle space(H5Dget_space(set), H5Sclose, "read a dataspace");
  if (H5Sget_simple_extent_npoints(space) != hssize_t(count))
    throw std::runtime_error("dataset " + name + " has " + std::to_string(H5Sget_simple_extent_npoints(space)) +
                             " values, expected " + std::to_string(count));
  ok(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "read dataset " + name);
}

constexpr size_t kMetricColumns = 6;  // epoch, step, train_loss, train_accuracy, test_loss, test_accuracy

void write_params(hid_t file, const char* group_name, const Network& network, const std::vector<float>& values,
                  hid_t gcpl, hid_t dcpl) {
  Handle group(H5Gcreate2(file, group_name, H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose,
               std::string("create group ") + group_name);
  for (const auto& p : network.params()) {
    std::vector<hsize_t> shape(p.shape.begin(), p.shape.end());
    write_dataset(group, p.name, shape, H5T_NATIVE_FLOAT, values.data() + p.offset, dcpl);
  }
}

std::vector<float> read_params(hid_t file, const char* group_name, const Network& network) {
  if (H5Lexists(file, group_name, H5P_DEFAULT) <= 0)
    throw std::runtime_error(std::string("group ") + group_name + " is missing");
  Handle group(H5Gopen2(file, group_name, H5P_DEFAULT), H5Gclose, std::string("open group ") + group_name);
  std::vector<float> values(network.param_count());
  for (const auto& p : network.params())
    read_dataset(group, p.name, H5T_NATIVE_FLOAT, values.data() + p.offset, p.size());
  return values;
}

void sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot sync " + path);
  }
  ::close(fd);
}

}  // namespace

void write_checkpoint(const std::string& path, const Network& network, const Checkpoint& checkpoint,
                      bool with_optimizer) {
  const std::string tmp = path + ".tmp";
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported by exceptions, not printed
  try {
    write_file(tmp, network, checkpoint, with_optimizer);
    sync_file(tmp);
  } catch (...) {
    std::remove(tmp.c_str());  // never leave half a file, never replace a good one with it
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

namespace {

void write_file(const std::string& tmp, const Network& network, const Checkpoint& checkpoint, bool with_optimizer) {
  {
    Handle fcpl = untimed(H5P_FILE_CREATE);
    Handle gcpl = untimed(H5P_GROUP_CREATE);
    Handle dcpl = untimed(H5P_DATASET_CREATE);
    hid_t id = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    if (id < 0) throw std::runtime_error("HDF5: cannot create " + tmp);
    // HDF5 writes its metadata when the file closes: a failed close is a failed write.
    struct Closer {
      hid_t id;
      bool closed = false;
      ~Closer() { if (!closed) H5Fclose(id); }
    } closer{id};
    hid_t file = id;
    const TrainConfig& c = checkpoint.config;
    const TrainState& s = checkpoint.state;
    write_string(file, "format", kFormat);
    write_string(file, "model", arch_name(c.arch));
    write_u64(file, "seed", c.seed);
    write_u64(file, "batch", c.batch);
    write_u64(file, "epochs", c.epochs);
    write_f64(file, "lr", c.lr);
    write_f64(file, "momentum", c.momentum);
    write_f64(file, "weight_decay", c.weight_decay);
    write_u64(file, "train_limit", c.train_limit);
    write_u64(file, "test_limit", c.test_limit);
    write_u64(file, "checkpoint_every", c.checkpoint_every);
    write_u64(file, "ranks", uint64_t(checkpoint.ranks));
    write_u64(file, "step", s.step);
    write_attribute(file, "rng_state", H5T_NATIVE_UINT64, s.rng.data(), s.rng.size());
    write_f64(file, "epoch_loss_sum", s.epoch_loss_sum);
    write_u64(file, "epoch_correct", s.epoch_correct);
    write_params(file, "model", network, s.params, gcpl, dcpl);
    if (with_optimizer) write_params(file, "optimizer", network, s.velocity, gcpl, dcpl);
    std::vector<double> rows;
    for (const auto& m : s.history)
      rows.insert(rows.end(), {double(m.epoch), double(m.step), m.train_loss, m.train_accuracy, m.test_loss,
                               m.test_accuracy});
    write_dataset(file, "metrics", {s.history.size(), kMetricColumns}, H5T_NATIVE_DOUBLE, rows.data(), dcpl);
    closer.closed = true;
    if (H5Fclose(id) < 0) throw std::runtime_error("HDF5: cannot finish writing " + tmp + " (disk full?)");
  }
}

}  // namespace

Checkpoint read_checkpoint(const std::string& path, const Network& network) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (::access(path.c_str(), R_OK) != 0) throw std::runtime_error(path + ": cannot read the checkpoint");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw std::runtime_error(path + ": not an HDF5 file");
  try {
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + path);
    if (read_string(file, "format") != kFormat) throw std::runtime_error("not an og-train checkpoint");
    Checkpoint cp;
    TrainConfig& c = cp.config;
    TrainState& s = cp.state;
    c.arch = parse_arch(read_string(file, "model"));
    if (c.arch != network.arch()) throw std::runtime_error("it holds a " + arch_name(c.arch) + " model");
    c.seed = read_u64(file, "seed");
    c.batch = read_u64(file, "batch");
    c.epochs = read_u64(file, "epochs");
    c.lr = float(read_f64(file, "lr"));
    c.momentum = float(read_f64(file, "momentum"));
    c.weight_decay = float(read_f64(file, "weight_decay"));
    c.train_limit = read_u64(file, "train_limit");
    c.test_limit = read_u64(file, "test_limit");
    c.checkpoint_every = read_u64(file, "checkpoint_every");
    cp.ranks = int(read_u64(file, "ranks"));
    s.step = read_u64(file, "step");
    read_attribute(file, "rng_state", H5T_NATIVE_UINT64, s.rng.data(), s.rng.size());
    s.epoch_loss_sum = read_f64(file, "epoch_loss_sum");
    s.epoch_correct = read_u64(file, "epoch_correct");
    s.params = read_params(file, "model", network);
    s.velocity = read_params(file, "optimizer", network);
    Handle set(H5Dopen2(file, "metrics", H5P_DEFAULT), H5Dclose, "open dataset metrics");
    Handle space(H5Dget_space(set), H5Sclose, "read a dataspace");
    hsize_t dims[2] = {0, 0};
    if (H5Sget_simple_extent_ndims(space) != 2 || H5Sget_simple_extent_dims(space, dims, nullptr) != 2 ||
        dims[1] != kMetricColumns)
      throw std::runtime_error("dataset metrics has the wrong shape");
    std::vector<double> rows(dims[0] * kMetricColumns);
    if (!rows.empty()) read_dataset(file, "metrics", H5T_NATIVE_DOUBLE, rows.data(), rows.size());
    for (size_t r = 0; r < dims[0]; ++r) {
      const double* v = rows.data() + r * kMetricColumns;
      s.history.push_back({uint64_t(v[0]), uint64_t(v[1]), v[2], v[3], v[4], v[5]});
    }
    return cp;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a usable checkpoint (" + e.what() + ")");
  }
}

std::string resume_mismatch(const TrainConfig& saved, const TrainConfig& wanted) {
  auto differs = [](const char* name, auto a, auto b) {
    return a == b ? std::string() : std::string(name) + " was " + std::to_string(a) + ", now " + std::to_string(b);
  };
  if (saved.arch != wanted.arch) return "model was " + arch_name(saved.arch) + ", now " + arch_name(wanted.arch);
  for (const std::string& why :
       {differs("--seed", saved.seed, wanted.seed), differs("--batch", saved.batch, wanted.batch),
        differs("--epochs", saved.epochs, wanted.epochs), differs("--lr", saved.lr, wanted.lr),
        differs("--momentum", saved.momentum, wanted.momentum),
        differs("--weight-decay", saved.weight_decay, wanted.weight_decay),
        differs("--train-limit", saved.train_limit, wanted.train_limit),
        differs("--test-limit", saved.test_limit, wanted.test_limit),
        differs("--checkpoint-every", saved.checkpoint_every, wanted.checkpoint_every)})
    if (!why.empty()) return why;
  return "";
}

}  // namespace og::train
