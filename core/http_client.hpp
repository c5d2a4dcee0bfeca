// An HTTP/1.1 client (Boost.Beast underneath, kept out of this header) with a kept-alive
// connection, per-request deadlines and a bearer credential. One instance per thread.
// https:// addresses are verified: the server's certificate must chain to the CA in
// ca_file (else to the system's CAs) and name the host (DNS name or IP address).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace og {

// No answer came (connection refused, timed out, cut off), as opposed to an answer.
class HttpUnreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A header's value ("" when absent); names compare case-insensitively.
  std::string header(const std::string& name) const;
};

class HttpClient {
 public:
  // base_url: http[s]://HOST:PORT[/prefix]. Throws og::UsageError for anything else.
  HttpClient(std::string base_url, std::string token, std::string ca_file = "");
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Called as a response body arrives: bytes so far, and the total (0 when not announced).
  using Progress = std::function<void(uint64_t received, uint64_t total)>;

  // Throws std::runtime_error ("cannot reach og-schedd at URL: ...") when no answer came.
  // The timeout bounds each read or write, not the whole exchange.
  HttpResult request(const std::string& method, const std::string& path,
                     const std::string& body = "", long timeout_ms = 30000,
                     const std::string& content_type = "application/json", const Progress& progress = nullptr);

  // For large bodies: the body of a 2xx answer goes to `sink` piece by piece as it arrives
  // (never whole in memory); any other answer's body is kept in the result as usual.
  using Sink = std::function<void(std::string_view)>;
  HttpResult request_to(const std::string& method, const std::string& path, const Sink& sink, long timeout_ms = 30000);
  // Sends a file's bytes as the request body, read from disk as they go out.
  HttpResult send_file(const std::string& method, const std::string& path, const std::string& file,
                       long timeout_ms = 600000, const std::string& content_type = "application/octet-stream");

  // JSON round trip: a 2xx answer's parsed body, otherwise og::ApiError carrying the
  // server's error code and message.
  nlohmann::json call(const std::string& method, const std::string& path,
                      const nlohmann::json& body = nullptr, long timeout_ms = 30000);

  const std::string& base_url() const { return base_url_; }

  // For servers other than og-schedd (slurmrestd): headers sent with every request (in
  // place of the bearer credential when the token is empty), and the name errors use.
  void set_headers(std::vector<std::pair<std::string, std::string>> headers);
  void set_server_name(std::string name);

 private:
  struct Impl;
  template <typename Request>
  HttpResult exchange(Request& req, long timeout_ms, const Progress& progress, const Sink* sink,
                      const std::function<void()>& rewind);
  std::string base_url_;
  std::string token_;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a query or path component.
std::string url_encode(const std::string& text);
// Percent-encodes each '/'-separated part of a path (a file named "a b?.txt" stays one path).
std::string url_encode_path(const std::string& path);

}  // namespace og
