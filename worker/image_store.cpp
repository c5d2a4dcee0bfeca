#include "worker/image_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/job_spec.hpp"
#include "core/log.hpp"
#include "core/oci_reference.hpp"
#include "core/oci_registry.hpp"
#include "core/sha256.hpp"
#include "core/time_util.hpp"
#include "worker/layer_unpacker.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;
using Kind = ImageStoreError::Kind;

constexpr const char* kSizeFile = "size";  // written last: an entry without it is a broken pull

// The cache's own small files (sizes, kept configs).
std::string read_kept(const std::string& path) { return read_untrusted_file(AT_FDCWD, path, 1 << 20); }

void remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);  // never follows a link it meets
}

// What was written to the cache's file system reaches the disk (that one, not every one).
void sync_cache_fs_at(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::syncfs(fd);
  ::close(fd);
}

bool is_layer_type(const std::string& media_type) {
  return media_type.find("tar") != std::string::npos;  // tar, tar+gzip, tar+zstd, docker's rootfs.diff.tar.gzip
}

}  // namespace

AllowedRegistry parse_allowed_registry(const std::string& text) {
  AllowedRegistry r;
  r.host = text;
  if (text.rfind("http://", 0) == 0) {
    r.plain_http = true;
    r.host = text.substr(7);
  } else if (text.rfind("https://", 0) == 0) {
    r.host = text.substr(8);
  }
  while (!r.host.empty() && r.host.back() == '/') r.host.pop_back();
  if (r.host.empty() || r.host.find('/') != std::string::npos)
    throw UsageError("--allow-registry " + text + ": expected HOST[:PORT] (HTTPS) or http://HOST:PORT (plain HTTP)");
  return r;
}

ImageStore::ImageStore(ImageStoreOptions options) : options_(std::move(options)) {
  if (options_.dir.empty()) throw UsageError("--image-cache needs a directory");
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  char real[PATH_MAX];
  if (ec || !::realpath(options_.dir.c_str(), real))
    throw UsageError("--image-cache " + options_.dir + ": cannot create it");
  options_.dir = real;  // no link on the way: layers are unpacked beneath it
  if (options_.dir.find_first_of(",:") != std::string::npos)
    throw UsageError("--image-cache " + options_.dir + ": the path may not contain ',' or ':' (overlay mounts)");
  ::chmod(options_.dir.c_str(), 0700);
  load_existing();
}

ImageStore::~ImageStore() = default;

void ImageStore::load_existing() {
  remove_tree(options_.dir + "/partial");
  for (const char* kind : {"image", "data", "partial"}) fs::create_directories(options_.dir + "/" + kind);
  for (const char* kind : {"image", "data"}) {
    for (const auto& entry : fs::directory_iterator(options_.dir + "/" + kind)) {
      std::string size_file = entry.path().string() + "/" + kSizeFile;
      struct stat st {};
      std::string hex = entry.path().filename().string();
      if (!is_sha256_hex(hex) || ::stat(size_file.c_str(), &st) != 0) {
        remove_tree(entry.path().string());  // a pull cut short
        continue;
      }
      Entry e;
      e.dir = entry.path().string();
      e.bytes = std::strtoull(read_kept(size_file).c_str(), nullptr, 10);
      e.last_used_us = int64_t(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
      bytes_held_ += e.bytes;
      entries_[std::string(kind) + "/" + hex] = e;
    }
  }
  log_info("image_cache", {{"dir", options_.dir},
                           {"entries", std::to_string(entries_.size())},
                           {"bytes", std::to_string(bytes_held_)},
                           {"cap_bytes", std::to_string(options_.cap_bytes)}});
}

CachedContent ImageStore::image(const std::string& reference) { return acquire(reference, false); }
CachedContent ImageStore::data(const std::string& reference) { return acquire(reference, true); }

CachedContent ImageStore::acquire(const std::string& reference, bool is_data) {
  OciReference ref;
  try {
    ref = parse_oci_reference(reference);
  } catch (const std::exception& e) {
    throw ImageStoreError(Kind::BadImage, e.what());
  }
  if (ref.digest.empty()) throw ImageStoreError(Kind::BadImage, reference + " is not pinned by digest");
  auto from = std::find_if(options_.registries.begin(), options_.registries.end(),
                           [&](const AllowedRegistry& r) { return r.host == ref.registry; });
  if (from == options_.registries.end())
    throw ImageStoreError(Kind::NotAllowed, "this provider does not pull from registry " + ref.registry +
                                                " (its operator allows it with og-worker --allow-registry " +
                                                ref.registry + ")");
  const std::string kind = is_data ? "data" : "image", hex = ref.digest.substr(7), key = kind + "/" + hex;
  auto started = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  bool pulled = false;
  while (!entries_.count(key)) {
    if (pulling_.count(key)) {  // another job pulls it now: share that pull
      pulled_.wait(lock);
      continue;
    }
    pulling_.insert(key);
    lock.unlock();
    std::string partial = options_.dir + "/partial/" + kind + "-" + hex + "-" + random_token_hex().substr(0, 8);
    std::string final_dir = options_.dir + "/" + key;
    uint64_t bytes = 0;
    auto given_up = [&] {
      remove_tree(partial);
      lock.lock();
      pulling_.erase(key);
      pulled_.notify_all();
    };
    try {
      fs::create_directories(partial);
      fetch(kind, hex, ref, *from, is_data, partial, bytes);
      write_new_file(partial + "/" + kSizeFile, std::to_string(bytes), 0600);
      sync_cache_fs_at(options_.dir);  // the entry whole on disk before its name says it is there
      if (fs::exists(final_dir)) remove_tree(to_trash(final_dir));
      fs::rename(partial, final_dir);
    } catch (const ImageStoreError&) {
      given_up();
      throw;
    } catch (const std::exception& e) {  // the disk: this provider's trouble, never a crash
      given_up();
      throw ImageStoreError(Kind::Local, std::string("cannot keep ") + reference + " in the cache: " + e.what());
    }
    lock.lock();
    pulling_.erase(key);
    entries_[key] = Entry{final_dir, bytes, 0, 0};
    bytes_held_ += bytes;
    pulled = true;
    pulled_.notify_all();
  }
  Entry& entry = entries_[key];
  ++entry.users;
  entry.last_used_us = now_unix_us();
  std::vector<std::string> trash;
  if (pulled) trash = evict_over_cap();
  CachedContent content;
  content.path = entry.dir + (is_data ? "/files" : "/rootfs");
  content.pulled = pulled;
  content.pull_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
  content.hold = std::shared_ptr<void>(nullptr, [this, key](void*) { release(key); });
  lock.unlock();
  for (const auto& dir : trash) remove_tree(dir);
  if (!is_data) {
    auto config = nlohmann::json::parse(read_kept(entry.dir + "/config.json"), nullptr, false);
    if (config.is_object()) content.env = config.value("env", std::vector<std::string>{});
  }
  return content;
}

void ImageStore::fetch(const std::string& kind, const std::string& hex, const OciReference& ref,
                       const AllowedRegistry& from, bool is_data, const std::string& into, uint64_t& bytes) {
  RegistryClient registry(ref.registry, from.plain_http, options_.ca_file);
  struct CountFetched {
    ImageStore* store;
    RegistryClient& registry;
    ~CountFetched() {
      std::lock_guard lock(store->mu_);
      store->bytes_fetched_ += registry.bytes_fetched();
    }
  } count{this, registry};
  auto started = std::chrono::steady_clock::now();
  try {
    OciManifest m = registry.manifest(ref.repository, ref.digest);
    if ((m.artifact_type == kDataArtifactType) != is_data)
      throw ImageStoreError(Kind::BadImage, ref.display() + (is_data ? " is an image, not a data set (push data with og-data push)"
                                                                     : " is a data set, not an image"));
    if (is_data) {
      std::string files = into + "/files";
      fs::create_directories(files);
      std::set<std::string> names;
      uint64_t declared = 0;
      for (const auto& blob : m.layers) declared += blob.size;
      if (declared > options_.cap_bytes)
        throw ImageStoreError(Kind::Local, ref.display() + " is larger than this provider's cache (--image-cache-size)");
      for (const auto& blob : m.layers) {
        if (!is_secret_name(blob.title) || !names.insert(blob.title).second)
          throw ImageStoreError(Kind::BadImage, ref.display() + ": a file is named \"" + blob.title +
                                                    "\" (names must be plain, distinct file names)");
        bytes += blob.size;
        if (bytes > options_.cap_bytes)
          throw ImageStoreError(Kind::Local, ref.display() + " is larger than this provider's cache (--image-cache-size)");
        registry.fetch_blob(ref.repository, blob, files + "/" + blob.title, options_.progress);
        ::chmod((files + "/" + blob.title).c_str(), 0444);
      }
      ::chmod(files.c_str(), 0555);
    } else {
      auto config = nlohmann::json::parse(registry.fetch_small_blob(ref.repository, m.config), nullptr, false);
      nlohmann::json kept = nlohmann::json::object();
      if (config.is_object() && config.contains("config") && config["config"].is_object()) {
        const auto& c = config["config"];
        if (c.contains("Env") && c["Env"].is_array())
          for (const auto& v : c["Env"])
            if (v.is_string()) kept["env"].push_back(v.get<std::string>());
      }
      write_new_file(into + "/config.json", kept.dump(), 0600);
      std::string rootfs = into + "/rootfs";
      fs::create_directories(rootfs);
      ::chmod(rootfs.c_str(), 0755);
      std::string blob_file = into + "/layer.blob";
      for (const auto& layer : m.layers) {
        if (!is_layer_type(layer.media_type))
          throw ImageStoreError(Kind::BadImage, ref.display() + ": layer " + layer.digest + " is of type " +
                                                    layer.media_type + ", not a tar layer");
        uint64_t room = options_.cap_bytes - std::min(bytes, options_.cap_bytes);
        if (room == 0 || layer.size > options_.cap_bytes)
          throw ImageStoreError(Kind::Local, ref.display() + " does not fit in this provider's cache (--image-cache-size)");
        registry.fetch_blob(ref.repository, layer, blob_file, options_.progress);
        try {
          bytes += apply_layer(blob_file, rootfs, {room, 2'000'000});
        } catch (const BadLayer& e) {
          throw ImageStoreError(Kind::BadImage, ref.display() + ": layer " + layer.digest + " refused: " + e.what());
        } catch (const LayerTooLarge& e) {
          throw ImageStoreError(Kind::Local, ref.display() + " does not fit in this provider's cache (--image-cache-size): " + e.what());
        }
        ::unlink(blob_file.c_str());
      }
    }
  } catch (const RegistryError& e) {
    throw ImageStoreError(e.code() == "unreachable" ? Kind::Unreachable : Kind::BadImage, e.what());
  } catch (const ImageStoreError&) {
    throw;
  } catch (const std::exception& e) {
    throw ImageStoreError(Kind::Local, std::string("cannot store ") + ref.display() + ": " + e.what());
  }
  log_info("cache_pulled", {{"kind", kind},
                            {"digest", "sha256:" + hex},
                            {"bytes", std::to_string(bytes)},
                            {"fetched", std::to_string(registry.bytes_fetched())},
                            {"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      std::chrono::steady_clock::now() - started).count())}});
}

void ImageStore::release(const std::string& key) {
  std::vector<std::string> trash;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    --it->second.users;
    it->second.last_used_us = now_unix_us();
    ::utimensat(AT_FDCWD, (it->second.dir + "/" + kSizeFile).c_str(), nullptr, 0);  // remembered across restarts
    trash = evict_over_cap();
  }
  for (const auto& dir : trash) remove_tree(dir);  // gigabytes, perhaps: not under the lock
}

std::string ImageStore::to_trash(const std::string& dir) {
  // Renamed first (at once, atomically), deleted after: a crash half-way leaves it in
  // partial/, which the next start clears, never an entry that looks whole.
  std::string trash = options_.dir + "/partial/evicted-" + random_token_hex().substr(0, 12);
  std::error_code ec;
  fs::rename(dir, trash, ec);
  return ec ? dir : trash;
}

std::vector<std::string> ImageStore::evict_over_cap() {
  std::vector<std::string> trash;
  while (bytes_held_ > options_.cap_bytes) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.users == 0 && (victim == entries_.end() || it->second.last_used_us < victim->second.last_used_us))
        victim = it;
    if (victim == entries_.end()) break;  // all in use: over the cap until a job ends
    log_info("cache_evicted", {{"entry", victim->first}, {"bytes", std::to_string(victim->second.bytes)}});
    bytes_held_ -= victim->second.bytes;
    trash.push_back(to_trash(victim->second.dir));
    entries_.erase(victim);
  }
  return trash;
}

std::vector<std::string> ImageStore::digests() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [key, entry] : entries_) out.push_back("sha256:" + key.substr(key.find('/') + 1));
  return out;
}

std::vector<std::string> ImageStore::registries() const {
  std::vector<std::string> out;
  for (const auto& r : options_.registries) out.push_back(r.host);
  return out;
}

uint64_t ImageStore::bytes_fetched() const {
  std::lock_guard lock(mu_);
  return bytes_fetched_;
}

uint64_t ImageStore::bytes_held() const {
  std::lock_guard lock(mu_);
  return bytes_held_;
}

}  // namespace og
