// ImageStore: the provider's cache of images and data sets from OCI registries. An image
// is pulled once (manifest, config and layers, each checked against its digest), its
// layers applied in order into one tree kept under the manifest's digest, and shared by
// every job that names it; a data set's blobs are kept as read-only files under its
// digest. A size cap is kept by evicting what was used least recently, never what a
// running job holds. Concurrent asks for the same digest wait for one pull.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/oci_reference.hpp"

namespace og {

// A registry the provider lets its jobs pull from (og-worker --allow-registry).
struct AllowedRegistry {
  std::string host;        // HOST[:PORT]
  bool plain_http = false;  // given as http://HOST:PORT
};
// "http://127.0.0.1:5000" or "registry.example.org"; throws og::UsageError.
AllowedRegistry parse_allowed_registry(const std::string& text);

struct ImageStoreOptions {
  std::string dir;                    // --image-cache: root's, created 0700
  uint64_t cap_bytes = 20ull << 30;   // --image-cache-size
  std::vector<AllowedRegistry> registries;
  std::string ca_file;                // for HTTPS registries ("" = the system's CAs)
  std::function<void(uint64_t)> progress = nullptr;  // told each blob's bytes so far as they come
};

// Why an image or data set cannot be had. BadImage: the content is wrong (the job's or
// the registry's fault: the job fails); the rest are this provider's trouble, and the
// lease goes back to run elsewhere.
class ImageStoreError : public std::runtime_error {
 public:
  enum class Kind { BadImage, NotAllowed, Unreachable, Local };
  ImageStoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// One job's use of a cached entry: while it lives, the entry is not evicted.
struct CachedContent {
  std::string path;              // the image's root tree, or the data set's directory
  std::vector<std::string> env;  // the image config's Env (its WorkingDir is not used: jobs start in their own)
  bool pulled = false;           // fetched for this job (else it was in the cache)
  uint64_t pull_ms = 0;          // time spent fetching and unpacking (or waiting for it)
  std::shared_ptr<void> hold;
};

class ImageStore {
 public:
  explicit ImageStore(ImageStoreOptions options);  // throws og::UsageError
  ~ImageStore();

  // reference: REGISTRY/REPOSITORY@sha256:HEX (pinned). Throws ImageStoreError.
  CachedContent image(const std::string& reference);
  CachedContent data(const std::string& reference);

  // The digests held ("sha256:HEX"), for the scheduler's placement.
  std::vector<std::string> digests() const;
  // Registries jobs may pull from here (HOST[:PORT]).
  std::vector<std::string> registries() const;
  uint64_t bytes_fetched() const;
  uint64_t bytes_held() const;

 private:
  struct Entry {
    std::string dir;
    uint64_t bytes = 0;
    int64_t last_used_us = 0;
    int users = 0;
  };
  CachedContent acquire(const std::string& reference, bool is_data);
  void fetch(const std::string& kind, const std::string& hex, const OciReference& ref, const AllowedRegistry& from,
             bool is_data, const std::string& into, uint64_t& bytes);
  void release(const std::string& key);
  // Evicts least recently used entries held by no job until under the cap (mu_ held);
  // returns the directories to delete once mu_ is released.
  std::vector<std::string> evict_over_cap();
  std::string to_trash(const std::string& dir);
  void load_existing();

  ImageStoreOptions options_;
  mutable std::mutex mu_;
  std::condition_variable pulled_;
  std::map<std::string, Entry> entries_;  // "image/HEX" or "data/HEX"
  std::set<std::string> pulling_;
  uint64_t bytes_held_ = 0;
  uint64_t bytes_fetched_ = 0;
};

}  // namespace og
