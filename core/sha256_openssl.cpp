#include "core/sha256_openssl.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "core/hex.hpp"
#include "core/sha256_engine.hpp"

namespace og {
namespace {

class OpensslSha256 final : public Sha256State {
 public:
  OpensslSha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
      EVP_MD_CTX_free(ctx_);
      throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
    }
  }
  ~OpensslSha256() override { EVP_MD_CTX_free(ctx_); }
  OpensslSha256(const OpensslSha256&) = delete;
  OpensslSha256& operator=(const OpensslSha256&) = delete;
  void update(const void* data, size_t size) override { EVP_DigestUpdate(ctx_, data, size); }
  std::string hex() override {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, digest, &len);
    return to_hex(digest, len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::unique_ptr<Sha256State> make_openssl_sha256() { return std::make_unique<OpensslSha256>(); }

}  // namespace

void use_openssl_sha256() { set_sha256_engine(&make_openssl_sha256); }

}  // namespace og
