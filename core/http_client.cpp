#include "core/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <chrono>
#include <stdexcept>

#include "core/error.hpp"

namespace og {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host, port, prefix;
  asio::io_context io{1};
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool connected = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string server = "og-schedd";

  // Runs one async operation to completion on our own io_context, with a deadline.
  template <typename Start>
  beast::error_code run(Start start, long timeout_ms) {
    beast::error_code result;
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    start([&result](beast::error_code e, auto&&...) { result = e; });
    io.restart();
    io.run();
    return result;
  }

  void disconnect() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    connected = false;
  }
};

namespace {

[[noreturn]] void unreachable(const std::string& server, const std::string& url, const std::string& why) {
  throw HttpUnreachable("cannot reach " + server + " at " + url + ": " + why +
                           (server == "og-schedd" ? " (is it running? check --url, OG_SCHEDD_URL or the config file)"
                                                  : ""));
}

}  // namespace

HttpClient::HttpClient(std::string base_url, std::string token)
    : base_url_(std::move(base_url)), token_(std::move(token)), impl_(std::make_unique<Impl>()) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  const std::string scheme = "http://";
  if (base_url_.rfind(scheme, 0) != 0)
    throw UsageError("scheduler address \"" + base_url_ +
                     "\" must start with http:// (e.g. http://127.0.0.1:6820)");
  std::string rest = base_url_.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  impl_->prefix = slash == std::string::npos ? "" : rest.substr(slash);
  auto colon = authority.rfind(':');
  impl_->host = authority.substr(0, colon);
  impl_->port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (impl_->host.empty()) throw UsageError("scheduler address \"" + base_url_ + "\" has no host");
}

std::string HttpResult::header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (beast::iequals(key, name)) return value;
  return "";
}

HttpClient::~HttpClient() = default;

void HttpClient::set_headers(std::vector<std::pair<std::string, std::string>> headers) {
  impl_->headers = std::move(headers);
}
void HttpClient::set_server_name(std::string name) { impl_->server = std::move(name); }
HttpClient::HttpClient(HttpClient&&) noexcept = default;

HttpResult HttpClient::request(const std::string& method, const std::string& path,
                               const std::string& body, long timeout_ms,
                               const std::string& content_type) {
  Impl& c = *impl_;
  http::request<http::string_body> req{http::string_to_verb(method), c.prefix + path, 11};
  if (req.method() == http::verb::unknown) throw std::invalid_argument("unknown HTTP method " + method);
  req.set(http::field::host, c.host);
  if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
  for (const auto& [name, value] : c.headers) req.set(name, value);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();

  // A kept-alive connection may have been closed by the server while idle: then (and
  // only when nothing came back) try once more on a fresh connection.
  for (int attempt = 0;; ++attempt) {
    bool reused = c.connected;
    if (!c.connected) {
      tcp::resolver resolver(c.io);
      beast::error_code ec;
      auto endpoints = resolver.resolve(c.host, c.port, ec);
      if (ec) unreachable(c.server, base_url_, ec.message());
      ec = c.run([&](auto done) { c.stream.async_connect(endpoints, done); }, std::min(timeout_ms, 5000L));
      if (ec) {
        c.disconnect();
        unreachable(c.server, base_url_, ec == beast::error::timeout ? "connection timed out" : ec.message());
      }
      c.stream.socket().set_option(tcp::no_delay(true));
      c.connected = true;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024ull * 1024 * 1024);
    auto ec = c.run([&](auto done) { http::async_write(c.stream, req, done); }, timeout_ms);
    // The server may answer early and stop reading (413 for an oversize body): its
    // answer is still worth reading when our write broke off.
    if (!ec || ec == asio::error::broken_pipe || ec == asio::error::connection_reset) {
      auto read_ec = c.run([&](auto done) { http::async_read(c.stream, c.buffer, parser, done); }, timeout_ms);
      if (!read_ec || !parser.is_done()) ec = read_ec;
      if (parser.is_done()) ec = {};
    }
    if (ec) {
      bool nothing_back = !parser.got_some();
      c.disconnect();
      if (reused && nothing_back && attempt == 0 && ec != beast::error::timeout) continue;
      unreachable(c.server, base_url_, ec == beast::error::timeout ? "no answer within " + std::to_string(timeout_ms) + " ms"
                                                         : ec.message());
    }
    auto& res = parser.get();
    HttpResult result{static_cast<long>(res.result_int()), std::move(res.body()), {}};
    for (const auto& field : res) result.headers.emplace_back(field.name_string(), field.value());
    if (!res.keep_alive()) c.disconnect();
    return result;
  }
}

nlohmann::json HttpClient::call(const std::string& method, const std::string& path,
                                const nlohmann::json& body, long timeout_ms) {
  auto r = request(method, path, body.is_null() ? std::string() : body.dump(), timeout_ms);
  nlohmann::json parsed = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status >= 200 && r.status < 300) {
    if (parsed.is_discarded())
      throw ApiError(502, "bad_response", "og-schedd sent a response that is not JSON");
    return parsed;
  }
  if (!parsed.is_discarded() && parsed.contains("error") && parsed["error"].is_object())
    throw ApiError(static_cast<int>(r.status), parsed["error"].value("code", "error"),
                   parsed["error"].value("message", r.body));
  throw ApiError(static_cast<int>(r.status), "http_" + std::to_string(r.status), r.body);
}

std::string url_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace og
