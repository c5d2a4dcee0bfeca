// A JSON-RPC 2.0 client for Ethereum nodes (anvil, or any endpoint a user configures),
// over HTTP with libcurl, plus the hex "quantity" encoding the API uses.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace og::evm {

// The node answered with an error object (reverts included): its message, verbatim.
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class JsonRpc {
 public:
  // url: http(s)://host:port[/path]. timeout_ms bounds each call.
  explicit JsonRpc(std::string url, long timeout_ms = 30000);
  ~JsonRpc();
  JsonRpc(const JsonRpc&) = delete;
  JsonRpc& operator=(const JsonRpc&) = delete;

  // The call's "result"; throws RpcError for an error answer, std::runtime_error when the
  // node cannot be reached or answers something else than JSON-RPC. Thread-safe (calls
  // take turns on the one connection).
  nlohmann::json call(const std::string& method, const nlohmann::json& params = nlohmann::json::array());

 private:
  std::string url_;
  long timeout_ms_;
  std::mutex mu_;
  void* curl_;  // CURL*, one connection kept alive
  uint64_t next_id_ = 1;
};

std::string to_quantity(uint64_t value);           // "0x1a"
uint64_t from_quantity(const std::string& text);   // throws std::invalid_argument
std::string to_data(std::string_view bytes);        // "0x" + hex
std::string from_data(const std::string& text);     // bytes; throws std::invalid_argument

}  // namespace og::evm
