// og-bench-pull: a cold pull as og-worker does it. Fetches REF (pinned or tagged) from a
// plain-HTTP registry into an empty cache at CACHE_DIR — manifest, config and layers, each
// checked against its digest, layers applied in order — and prints the wall time and the
// bytes fetched. bench/images.sh runs it against skopeo copy + umoci unpack.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/sha256_openssl.hpp"
#include "core/oci_reference.hpp"
#include "core/oci_registry.hpp"
#include "worker/image_store.hpp"

int main(int argc, char** argv) {
  og::use_openssl_sha256();  // it hashes gigabytes: SHA-NI's speed is worth OpenSSL's start
  if (argc < 3) {
    std::fprintf(stderr, "usage: og-bench-pull REGISTRY/REPO:TAG CACHE_DIR\n");
    return 2;
  }
  og::OciReference ref = og::parse_oci_reference(argv[1]);
  std::filesystem::remove_all(argv[2]);
  auto start = std::chrono::steady_clock::now();
  if (ref.digest.empty()) ref.digest = og::RegistryClient(ref.registry, true).manifest(ref.repository, ref.tag).digest;
  og::ImageStoreOptions options;
  options.dir = argv[2];
  options.cap_bytes = 64ull << 30;
  options.registries = {og::parse_allowed_registry("http://" + ref.registry)};
  og::ImageStore store(options);
  og::CachedContent image = store.image(ref.pinned());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("og_pull_s=%.2f fetched_bytes=%llu unpacked_bytes=%llu\n", seconds,
              static_cast<unsigned long long>(store.bytes_fetched()), static_cast<unsigned long long>(store.bytes_held()));
  return 0;
}
