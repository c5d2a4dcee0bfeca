#include "chain/json_rpc.hpp"

#include <curl/curl.h>

#include <mutex>

#include "core/hex.hpp"

namespace og::evm {
namespace {

size_t append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

JsonRpc::JsonRpc(std::string url, long timeout_ms) : url_(std::move(url)), timeout_ms_(timeout_ms) {
  global_init();
  curl_ = curl_easy_init();
  if (!curl_) throw std::runtime_error("libcurl: cannot create a handle");
}

JsonRpc::~JsonRpc() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

namespace {

// scheme://host[:port] only: hosted nodes put API keys in the path or the query.
std::string redacted(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t at = url.find('@', start), end = url.find_first_of("/?#", start);
  if (at != std::string::npos && (end == std::string::npos || at < end)) start = at + 1;  // no user:password either
  return url.substr(0, scheme == std::string::npos ? 0 : scheme + 3) + url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

nlohmann::json JsonRpc::call(const std::string& method, const nlohmann::json& params) {
  std::lock_guard lock(mu_);
  nlohmann::json request = {{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}};
  std::string body = request.dump(), response;
  CURL* c = static_cast<CURL*>(curl_);
  struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms_);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK)
    throw std::runtime_error("JSON-RPC " + method + " to " + redacted(url_) + ": " + curl_easy_strerror(rc));
  nlohmann::json answer = nlohmann::json::parse(response, nullptr, false);
  if (answer.is_discarded() || !answer.is_object())
    throw std::runtime_error("JSON-RPC " + method + ": the node's answer is not JSON: " + response.substr(0, 200));
  if (answer.contains("error") && !answer["error"].is_null()) {
    const auto& e = answer["error"];
    std::string message = e.value("message", std::string("error"));
    if (e.contains("data") && e["data"].is_string()) message += " (" + e["data"].get<std::string>() + ")";
    throw RpcError(e.value("code", 0), method + ": " + message);
  }
  return answer.value("result", nlohmann::json());
}

std::string to_quantity(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value & 15]);
    value >>= 4;
  } while (value > 0);
  return "0x" + out;
}

uint64_t from_quantity(const std::string& text) {
  if (text.size() < 3 || text.size() > 18 || text.rfind("0x", 0) != 0)
    throw std::invalid_argument("not a 64-bit quantity: " + text);
  uint64_t value = 0;
  for (char ch : text.substr(2)) {
    int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
    if (d < 0) throw std::invalid_argument("not a quantity: " + text);
    value = value * 16 + static_cast<uint64_t>(d);
  }
  return value;
}

std::string to_data(std::string_view bytes) { return "0x" + to_hex(bytes); }

std::string from_data(const std::string& text) {
  if (text.rfind("0x", 0) != 0) throw std::invalid_argument("not 0x-prefixed data: " + text.substr(0, 20));
  auto bytes = from_hex(std::string_view(text).substr(2));
  if (!bytes) throw std::invalid_argument("not hex data: " + text.substr(0, 20));
  return *bytes;
}

}  // namespace og::evm
