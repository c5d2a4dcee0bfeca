#include "worker/layer_unpacker.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_set>
#include <vector>

#include "core/file_io.hpp"

namespace og {
namespace {

constexpr const char* kWhiteout = ".wh.";
constexpr const char* kOpaque = ".wh..wh..opq";

// "./usr//bin/" → "usr/bin"; refuses what could lead out of the root.
std::string clean_path(const std::string& raw) {
  // "/" alone is the root's own entry (umoci writes it so); any other absolute path is refused.
  if (raw.find_first_not_of('/') == std::string::npos) return "";
  if (raw[0] == '/') throw BadLayer("\"" + raw + "\" is an absolute path");
  std::string out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string::npos) slash = raw.size();
    std::string part = raw.substr(start, slash - start);
    if (part == "..") throw BadLayer("\"" + raw + "\" climbs out with \"..\"");
    if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + part;
    start = slash + 1;
  }
  return out;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string base_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The directory `relative` beneath root_fd, reached without any link; -1 when absent.
int open_dir_beneath(int root_fd, const std::string& relative) {
  if (relative.empty()) return ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  int fd = open_beneath(root_fd, relative, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) return fd;
  if (errno == ENOENT || errno == ENOTDIR) return -1;
  throw BadLayer("\"" + relative + "\" leads through a link or out of the image (" + std::strerror(errno) + ")");
}

void remove_tree_at(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + name + ": " + std::strerror(errno));
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), &::closedir);  // owns fd from here
    if (!dir) {
      ::close(fd);
      throw std::runtime_error("cannot list " + name + ": " + std::strerror(errno));
    }
    std::vector<std::string> children;
    while (dirent* e = ::readdir(dir.get())) {
      std::string child = e->d_name;
      if (child != "." && child != "..") children.push_back(child);
    }
    for (const auto& child : children) remove_tree_at(::dirfd(dir.get()), child);
    dir.reset();
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      throw std::runtime_error("cannot remove " + name + ": " + std::strerror(errno));
    return;
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
    throw std::runtime_error("cannot remove " + name + ": " + std::strerror(errno));
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct DiskCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};

}  // namespace

void remove_beneath(int root_fd, const std::string& relative) {
  int parent = open_dir_beneath(root_fd, parent_of(relative));
  if (parent < 0) return;
  try {
    remove_tree_at(parent, base_of(relative));
  } catch (...) {
    ::close(parent);
    throw;
  }
  ::close(parent);
}

uint64_t apply_layer(const std::string& blob_file, const std::string& root, const LayerLimits& limits) {
  std::unique_ptr<archive, ArchiveCloser> in(archive_read_new());
  archive_read_support_filter_gzip(in.get());
  archive_read_support_filter_zstd(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), blob_file.c_str(), 1 << 20) != ARCHIVE_OK)
    throw BadLayer(std::string("not a tar layer: ") + archive_error_string(in.get()));
  std::unique_ptr<archive, DiskCloser> disk(archive_write_disk_new());
  // No owners, no extended attributes (no file capabilities), nothing through a link.
  archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) throw std::runtime_error("cannot open " + root);
  struct CloseRoot {
    int fd;
    ~CloseRoot() { ::close(fd); }
  } close_root{root_fd};
  std::unordered_set<std::string> made;  // what this layer created: hard links may point only here
  uint64_t bytes = 0, entries = 0;
  for (;;) {
    archive_entry* entry = nullptr;
    int status = archive_read_next_header(in.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) throw BadLayer(std::string("unreadable layer: ") + archive_error_string(in.get()));
    if (++entries > limits.max_entries) throw BadLayer("more than " + std::to_string(limits.max_entries) + " entries");
    const char* raw = archive_entry_pathname(entry);
    std::string path = clean_path(raw ? raw : "");
    if (path.empty()) continue;  // the root itself: its mode is ours
    std::string name = base_of(path);
    if (name.rfind(kWhiteout, 0) == 0) {
      if (name == kOpaque) {  // the directory hides everything lower layers put in it
        int fd = open_dir_beneath(root_fd, parent_of(path));
        if (fd < 0) continue;
        std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), &::closedir);
        if (!dir) {
          ::close(fd);
          throw std::runtime_error("cannot list " + parent_of(path));
        }
        std::vector<std::string> children;
        while (dirent* e = ::readdir(dir.get())) {
          std::string child = e->d_name;
          std::string child_path = parent_of(path).empty() ? child : parent_of(path) + "/" + child;
          if (child != "." && child != ".." && !made.count(child_path)) children.push_back(child);
        }
        for (const auto& child : children) remove_tree_at(::dirfd(dir.get()), child);
        continue;
      }
      std::string hidden = name.substr(std::strlen(kWhiteout));
      if (hidden.empty() || hidden == "." || hidden == "..")
        throw BadLayer("the whiteout \"" + path + "\" names no file of its directory");
      remove_beneath(root_fd, parent_of(path).empty() ? hidden : parent_of(path) + "/" + hidden);
      continue;
    }
    mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFCHR || type == AE_IFBLK) throw BadLayer("\"" + path + "\" is a device node");
    if (type == AE_IFSOCK) throw BadLayer("\"" + path + "\" is a socket");
    if (const char* link = archive_entry_hardlink(entry)) {
      std::string target = clean_path(link);
      if (!made.count(target))
        throw BadLayer("\"" + path + "\" is a hard link to \"" + target + "\", which this layer did not create");
      archive_entry_copy_hardlink(entry, (root + "/" + target).c_str());
    }
    archive_entry_set_perm(entry, archive_entry_perm(entry) & ~(S_ISUID | S_ISGID) & 07777);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    archive_entry_xattr_clear(entry);
    if (type == AE_IFREG && archive_entry_size(entry) > 0) {  // hard links may carry data too (pax)
      bytes += static_cast<uint64_t>(archive_entry_size(entry));
      if (limits.max_bytes > 0 && bytes > limits.max_bytes)
        throw LayerTooLarge("the layer unpacks to more than the " + std::to_string(limits.max_bytes) + " bytes left for it");
    }
    archive_entry_copy_pathname(entry, (root + "/" + path).c_str());
    if (int status = archive_read_extract2(in.get(), entry, disk.get()); status != ARCHIVE_OK) {
      const char* said = archive_error_string(disk.get()) ? archive_error_string(disk.get()) : archive_error_string(in.get());
      std::string why = said ? said : "";
      int err = archive_errno(disk.get());
      // libarchive's refusals (a link on the way, reported as a mere warning) begin so.
      bool refused = why.rfind("Cannot extract through symlink", 0) == 0 || why.rfind("Path contains '..'", 0) == 0;
      // This machine's trouble (its disk) is not the image's; anything else that stops an
      // entry (a directory where a file goes, a truncated stream) is the layer's; other
      // warnings (a time not restored) are nobody's.
      if (!refused && (err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS || err == ENOMEM))
        throw std::runtime_error("cannot unpack \"" + path + "\": " + why);
      if (refused || status < ARCHIVE_WARN) throw BadLayer("\"" + path + "\": " + why);
    }
    made.insert(path);
  }
  return bytes;
}

}  // namespace og
