#include "scheduler/output_comparer.hpp"

#include <nlohmann/json.hpp>

#include "verify/manifest.hpp"
#include "verify/image_compare.hpp"
#include "verify/numeric_compare.hpp"

namespace og {

bool outputs_close(const std::string& manifest_a_json, const std::string& manifest_b_json, const VerifyMode& mode,
                   const ReadBlob& read) {
  Manifest ma, mb;
  try {
    ma = manifest_from_json(nlohmann::json::parse(manifest_a_json));
    mb = manifest_from_json(nlohmann::json::parse(manifest_b_json));
  } catch (const std::exception&) {
    return false;
  }
  if (ma.files.size() != mb.files.size()) return false;
  for (size_t i = 0; i < ma.files.size(); ++i) {
    const auto &fa = ma.files[i], &fb = mb.files[i];
    if (fa.path != fb.path) return false;
    if (fa.sha256 == fb.sha256) continue;
    const bool numeric = mode.kind == VerifyMode::Kind::Fuzzy && is_numeric_output(fa.path);
    const bool image = mode.kind == VerifyMode::Kind::Image && is_image_output(fa.path);
    if (!numeric && !image) return false;
    try {
      auto da = read(fa.sha256), db = read(fb.sha256);
      if (!da || !db) return false;
      if (numeric && !numeric_outputs_close(fa.path, *da, *db, mode.rel_tol)) return false;
      if (image && !images_close(*da, *db, mode)) return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

OutputComparer::OutputComparer(ReadBlob read, Answer answer)
    : read_(std::move(read)), answer_(std::move(answer)), thread_([this] { run(); }) {}

OutputComparer::~OutputComparer() { stop(); }

void OutputComparer::compare(Request request) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(request));
  }
  cv_.notify_one();
}

void OutputComparer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void OutputComparer::run() {
  for (;;) {
    Request request;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    bool agree = outputs_close(request.manifest_a, request.manifest_b, request.mode, read_);
    answer_(request, agree);
  }
}

}  // namespace og
