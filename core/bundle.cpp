#include "core/bundle.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/file_io.hpp"
#include "core/sha256.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;

constexpr size_t kBlock = 512;

// Field offsets and widths of a ustar header.
struct Field {
  size_t at, width;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12}, kMtime{136, 12},
    kChecksum{148, 8}, kType{156, 1}, kLink{157, 100}, kMagic{257, 6}, kVersion{263, 2}, kPrefix{345, 155};

struct Entry {
  char type;  // '0' file, '5' directory, '2' symbolic link
  uint32_t mode;
  std::string data;  // file contents, or a link's target
};

// A path inside a bundle: relative, no "..", no empty or "." parts (they are dropped).
std::string clean_path(std::string_view raw, const std::string& what) {
  if (raw.empty()) throw BundleError(what + ": empty path");
  if (raw.find('\0') != std::string_view::npos) throw BundleError(what + ": path contains a NUL byte");
  if (raw.front() == '/') throw BundleError(what + " \"" + std::string(raw) + "\": absolute paths are not allowed");
  std::string out;
  for (const auto& part : fs::path(std::string(raw))) {
    std::string p = part.string();
    if (p.empty() || p == ".") continue;
    if (p == "..") throw BundleError(what + " \"" + std::string(raw) + "\": \"..\" is not allowed");
    out += (out.empty() ? "" : "/") + p;
  }
  if (out.empty()) throw BundleError(what + " \"" + std::string(raw) + "\": names no file");
  return out;
}

// A link may only lead down from where it is: relative, without "..". (Allowing ".."
// even where it stays inside lexically is unsafe once links point through links.)
void check_link_target(const std::string& path, const std::string& target) {
  if (target.empty() || target.front() == '/' || target.find('\0') != std::string::npos)
    throw BundleError("link \"" + path + "\" -> \"" + target + "\": links must be relative");
  for (const auto& part : fs::path(target))
    if (part == "..") throw BundleError("link \"" + path + "\" -> \"" + target + "\": links may not use \"..\"");
}

void put_octal(std::string& header, Field f, uint64_t value) {
  std::string digits(f.width - 1, '0');
  for (size_t i = digits.size(); i-- > 0 && value > 0; value >>= 3) digits[i] = char('0' + (value & 7));
  if (value > 0) throw BundleError("a value is too large for the archive format");
  std::memcpy(header.data() + f.at, digits.data(), digits.size());
}

void put_text(std::string& header, Field f, const std::string& text) {
  std::memcpy(header.data() + f.at, text.data(), std::min(text.size(), f.width));
}

uint64_t checksum_of(std::string_view header) {
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i)
    sum += (i >= kChecksum.at && i < kChecksum.at + kChecksum.width) ? ' ' : static_cast<unsigned char>(header[i]);
  return sum;
}

std::string header_for(const std::string& path, const Entry& e) {
  std::string header(kBlock, '\0');
  std::string name = path + (e.type == '5' ? "/" : ""), prefix;
  if (name.size() > kName.width) {
    // Split at a '/' so the prefix fits 155 bytes and the rest 100.
    size_t cut = name.rfind('/', kPrefix.width);
    if (cut == std::string::npos || name.size() - cut - 1 > kName.width) throw BundleError("\"" + path + "\": path too long for a bundle");
    prefix = name.substr(0, cut);
    name = name.substr(cut + 1);
  }
  put_text(header, kName, name);
  put_octal(header, kMode, e.mode);
  put_octal(header, kUid, 0);
  put_octal(header, kGid, 0);
  put_octal(header, kSize, e.type == '0' ? e.data.size() : 0);
  put_octal(header, kMtime, 0);
  header[kType.at] = e.type;
  if (e.type == '2') {
    if (e.data.size() > kLink.width) throw BundleError("link \"" + path + "\": target too long");
    put_text(header, kLink, e.data);
  }
  put_text(header, kMagic, std::string("ustar\0", 6));
  put_text(header, kVersion, "00");
  put_text(header, kPrefix, prefix);
  std::string sum(7, '0');
  uint64_t value = checksum_of(header);
  for (size_t i = 6; i-- > 0; value >>= 3) sum[i] = char('0' + (value & 7));
  sum[6] = '\0';
  std::memcpy(header.data() + kChecksum.at, sum.data(), 7);
  header[kChecksum.at + 7] = ' ';
  return header;
}

std::string read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw BundleError("cannot read " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void collect(const fs::path& source, const std::string& path, std::map<std::string, Entry>& out,
             const BundleLimits& limits, uint64_t& bytes) {
  std::error_code ec;
  auto st = fs::symlink_status(source, ec);
  if (ec || st.type() == fs::file_type::not_found) throw BundleError(source.string() + ": no such file or directory");
  if (out.size() >= limits.max_entries)
    throw BundleError("more than " + std::to_string(limits.max_entries) + " files in the bundle");
  if (st.type() == fs::file_type::symlink) {
    std::string target = fs::read_symlink(source).string();
    check_link_target(path, target);
    out[path] = {'2', 0777, target};
  } else if (st.type() == fs::file_type::directory) {
    out[path] = {'5', 0755, ""};
    for (const auto& child : fs::directory_iterator(source))
      collect(child.path(), path + "/" + child.path().filename().string(), out, limits, bytes);
  } else if (st.type() == fs::file_type::regular) {
    bool executable = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
    Entry e{'0', executable ? 0755u : 0644u, read_whole(source)};
    bytes += e.data.size();
    if (bytes > limits.max_bytes)
      throw BundleError("the bundle's files exceed " + std::to_string(limits.max_bytes >> 20) + " MiB");
    out[path] = std::move(e);
  } else {
    throw BundleError(source.string() + ": only files, directories and links can be bundled");
  }
}

uint64_t parse_octal(std::string_view header, Field f, const std::string& what) {
  uint64_t value = 0;
  bool digits = false;
  for (size_t i = 0; i < f.width; ++i) {
    char c = header[f.at + i];
    if (c == '\0' || c == ' ') {
      if (digits) break;
      continue;
    }
    if (c < '0' || c > '7') throw BundleError(what + ": malformed number in header");
    if (value >> 60) throw BundleError(what + ": number too large");
    value = value * 8 + uint64_t(c - '0');
    digits = true;
  }
  return value;
}

std::string text_of(std::string_view header, Field f) {
  std::string_view v = header.substr(f.at, f.width);
  return std::string(v.substr(0, std::min(v.find('\0'), v.size())));
}

}  // namespace

std::string pack_bundle(const std::vector<BundleSource>& sources, const BundleLimits& limits) {
  std::map<std::string, Entry> entries;  // sorted by path: the same files, the same bytes
  uint64_t bytes = 0;
  for (const auto& s : sources) collect(s.source, clean_path(s.path, "bundle path"), entries, limits, bytes);
  // Parent directories of nested paths, so unpacking needs no guesses.
  std::map<std::string, Entry> parents;
  for (const auto& [path, e] : entries)
    for (size_t cut = path.find('/'); cut != std::string::npos; cut = path.find('/', cut + 1))
      if (!entries.count(path.substr(0, cut))) parents[path.substr(0, cut)] = {'5', 0755, ""};
  entries.merge(parents);
  std::string out;
  for (const auto& [path, e] : entries) {
    out += header_for(path, e);
    if (e.type == '0') {
      out += e.data;
      out.append((kBlock - e.data.size() % kBlock) % kBlock, '\0');
    }
  }
  out.append(2 * kBlock, '\0');
  return out;
}

namespace {

// One entry of an archive, as walk_entries reads it: its path already checked.
struct ArchiveEntry {
  std::string path, where;  // where: "bundle entry \"path\"", for errors
  char type;
  std::string_view header, content;
};

// Calls visit for each entry, checking each header, the entry count and the bounds as it
// goes; returns the number of entries.
template <typename Visit>
size_t walk_entries(std::string_view archive, const BundleLimits& limits, Visit visit) {
  size_t entries = 0;
  size_t at = 0;
  for (;;) {
    if (at + kBlock > archive.size()) throw BundleError("the bundle is truncated (no end marker)");
    std::string_view header = archive.substr(at, kBlock);
    if (header.find_first_not_of('\0') == std::string_view::npos) break;  // end of archive
    std::string where = "bundle entry " + std::to_string(entries + 1);
    if (parse_octal(header, kChecksum, where) != checksum_of(header)) throw BundleError(where + ": bad header checksum");
    if (text_of(header, kMagic).rfind("ustar", 0) != 0) throw BundleError(where + ": not a ustar archive");
    std::string raw = text_of(header, kName), prefix = text_of(header, kPrefix);
    if (!prefix.empty()) raw = prefix + "/" + raw;
    std::string path = clean_path(raw, where);
    where = "bundle entry \"" + path + "\"";
    if (++entries > limits.max_entries)
      throw BundleError("the bundle has more than " + std::to_string(limits.max_entries) + " entries");
    uint64_t size = parse_octal(header, kSize, where);
    char type = header[kType.at];
    at += kBlock;
    if (size > archive.size() - at) throw BundleError(where + ": truncated");
    visit(ArchiveEntry{path, where, type, header, archive.substr(at, size)});
    at += (size + kBlock - 1) / kBlock * kBlock;
  }
  return entries;
}

}  // namespace

size_t unpack_bundle(std::string_view archive, const std::string& dir, const BundleLimits& limits) {
  uint64_t bytes = 0;
  return walk_entries(archive, limits, [&](const ArchiveEntry& e) {
    const std::string& where = e.where;
    std::string target = dir + "/" + e.path;
    std::error_code ec;
    fs::create_directories(fs::path(target).parent_path(), ec);
    if (ec) throw BundleError(where + ": " + ec.message());
    if (e.type == '0' || e.type == '\0') {
      bytes += e.content.size();
      if (bytes > limits.max_bytes)
        throw BundleError("the bundle unpacks to more than " + std::to_string(limits.max_bytes >> 20) + " MiB");
      mode_t mode = (parse_octal(e.header, kMode, where) & 0111) ? 0755 : 0644;  // never setuid/setgid
      try {
        write_new_file(target, e.content, mode);
      } catch (const std::runtime_error&) {
        throw BundleError(where + ": " + (errno == EEXIST || errno == ELOOP ? "appears twice" : std::strerror(errno)));
      }
    } else if (e.type == '5') {
      if (::mkdir(target.c_str(), 0755) != 0 && !(errno == EEXIST && fs::is_directory(fs::symlink_status(target))))
        throw BundleError(where + ": " + std::strerror(errno));
    } else if (e.type == '2') {
      std::string link = text_of(e.header, kLink);
      check_link_target(e.path, link);
      if (::symlink(link.c_str(), target.c_str()) != 0) throw BundleError(where + ": " + std::strerror(errno));
    } else {
      const char* kind = e.type == '1'                   ? "hard links are"
                         : e.type == '3' || e.type == '4' ? "device files are"
                         : e.type == '6'                  ? "FIFOs are"
                                                          : "this entry type is";
      throw BundleError(where + ": " + kind + " not allowed in a bundle");
    }
  });
}

std::map<std::string, std::string> bundle_file_digests(std::string_view archive, const BundleLimits& limits) {
  std::map<std::string, std::string> digests;
  walk_entries(archive, limits, [&](const ArchiveEntry& e) {
    if (e.type == '0' || e.type == '\0') digests[e.path] = sha256_hex(e.content);
  });
  return digests;
}

}  // namespace og
