// One connection of an HttpClient (http_client.hpp), under the client's retries and
// keep-alive: plain TCP (http_connection.cpp) or TLS (tls_connection.cpp). TLS is linked
// into the daemons; the commands people run in loops load it (tls_loader.cpp, from
// og-tls.so beside them) only when an address is https://, so that talking plain HTTP on
// loopback never loads OpenSSL. Nothing but plain data crosses this interface (no error
// codes, no exceptions: each side may carry its own copy of the C++ runtime).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace og::http_detail {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

using StringRequest = http::request<http::string_body>;
using FileRequest = http::request<http::file_body>;

// How an answer is read. The callbacks never throw: the client keeps what they would have.
struct Reading {
  long timeout_ms = 0;  // for each read and write, not the whole exchange
  std::function<void(uint64_t received, uint64_t total)> progress;
  // Set: a 2xx body goes here piece by piece; false stops the exchange (the connection is spent).
  std::function<bool(std::string_view)> sink;
};

// One try: the request written, the answer read as far as it came.
struct Attempt {
  bool failed = false;
  bool timed_out = false;
  std::string error;      // what failed, for the user
  bool got_some = false;  // some of an answer arrived (then the request is not sent again)
  http::response<http::string_body> response;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Connects (for TLS: handshakes and checks the certificate); "" or what failed.
  virtual std::string connect(const tcp::resolver::results_type& endpoints, long timeout_ms) = 0;
  virtual void disconnect() = 0;
  virtual Attempt send(StringRequest& request, const Reading& reading) = 0;
  virtual Attempt send(FileRequest& request, const Reading& reading) = 0;
};

std::unique_ptr<Connection> plain_connection();

// A TLS connection to `host` whose certificate must chain to ca_file (else to the system's
// CAs); nullptr with `error` set when it cannot be made (a bad CA file, no TLS at hand).
using TlsFactory = std::unique_ptr<Connection> (*)(const std::string& host, const std::string& ca_file,
                                                   std::string& error);
// This program's: linked in (tls_connection.cpp) or loaded on first use (tls_loader.cpp);
// exactly one of the two is linked into a program.
TlsFactory tls_factory();

}  // namespace og::http_detail
