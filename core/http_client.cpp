#include "core/http_status.hpp"
#include "core/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <exception>
#include <stdexcept>

#include "core/error.hpp"
#include "core/http_connection.hpp"

namespace og {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host, port, prefix;
  std::string host_header;  // HOST[:PORT], as servers build absolute URLs from it (registries do)
  asio::io_context io{1};   // for resolving names; each connection runs on its own
  std::unique_ptr<http_detail::Connection> connection;  // plain, or TLS for https://
  bool connected = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string server = "og-schedd";

  void disconnect() {
    connection->disconnect();
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

HttpClient::HttpClient(std::string base_url, std::string token, std::string ca_file)
    : base_url_(std::move(base_url)), token_(std::move(token)), impl_(std::make_unique<Impl>()) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  bool https = base_url_.rfind("https://", 0) == 0;
  if (!https && base_url_.rfind("http://", 0) != 0)
    throw UsageError("scheduler address \"" + base_url_ +
                     "\" must start with http:// or https:// (e.g. https://127.0.0.1:6820)");
  std::string rest = base_url_.substr(https ? 8 : 7);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  impl_->prefix = slash == std::string::npos ? "" : rest.substr(slash);
  auto colon = authority.rfind(':');
  impl_->host = authority.substr(0, colon);
  impl_->port = colon == std::string::npos ? (https ? "443" : "80") : authority.substr(colon + 1);
  if (impl_->host.empty()) throw UsageError("scheduler address \"" + base_url_ + "\" has no host");
  impl_->host_header = colon == std::string::npos ? impl_->host : authority;
  if (!https) {
    impl_->connection = http_detail::plain_connection();
    return;
  }
  std::string error;
  impl_->connection = http_detail::tls_factory()(impl_->host, ca_file, error);
  if (!impl_->connection) throw UsageError(error);
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

namespace {

// The request line and headers every request carries.
template <typename Request>
void set_common_fields(Request& req, const std::string& host, const std::string& token,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  if (req.method() == http::verb::unknown) throw std::invalid_argument("unknown HTTP method");
  req.set(http::field::host, host);
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(true);
}

}  // namespace

HttpResult HttpClient::request(const std::string& method, const std::string& path,
                               const std::string& body, long timeout_ms,
                               const std::string& content_type, const Progress& progress) {
  http::request<http::string_body> req{http::string_to_verb(method), impl_->prefix + path, 11};
  set_common_fields(req, impl_->host_header, token_, impl_->headers);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  return exchange(req, timeout_ms, progress, nullptr, nullptr);
}

HttpResult HttpClient::request_to(const std::string& method, const std::string& path, const Sink& sink,
                                  long timeout_ms) {
  // A string body left empty (and no length said): the same exchange as request()'s,
  // one instantiation of Beast's machinery fewer to compile.
  http::request<http::string_body> req{http::string_to_verb(method), impl_->prefix + path, 11};
  set_common_fields(req, impl_->host_header, token_, impl_->headers);
  return exchange(req, timeout_ms, nullptr, &sink, nullptr);
}

HttpResult HttpClient::send_file(const std::string& method, const std::string& path, const std::string& file,
                                 long timeout_ms, const std::string& content_type) {
  http::request<http::file_body> req{http::string_to_verb(method), impl_->prefix + path, 11};
  set_common_fields(req, impl_->host_header, token_, impl_->headers);
  beast::error_code ec;
  req.body().open(file.c_str(), beast::file_mode::scan, ec);
  if (ec) throw std::runtime_error("cannot read " + file + ": " + ec.message());
  req.set(http::field::content_type, content_type);
  req.prepare_payload();
  // A second try on a fresh connection sends the file from its start again.
  auto rewind = [&req] {
    beast::error_code ignored;
    req.body().file().seek(0, ignored);
  };
  return exchange(req, timeout_ms, nullptr, nullptr, rewind);
}

template <typename Request>
HttpResult HttpClient::exchange(Request& req, long timeout_ms, const Progress& progress, const Sink* sink,
                                const std::function<void()>& rewind) {
  Impl& c = *impl_;
  // What the caller's callbacks throw is kept here and thrown again once the connection
  // has given up: nothing is thrown through the connection (http_connection.hpp).
  std::exception_ptr thrown;
  http_detail::Reading reading;
  reading.timeout_ms = timeout_ms;
  if (progress)
    reading.progress = [&](uint64_t received, uint64_t total) {
      try {
        progress(received, total);
      } catch (...) {
        if (!thrown) thrown = std::current_exception();
      }
    };
  if (sink)
    reading.sink = [&](std::string_view piece) {
      try {
        (*sink)(piece);
        return true;
      } catch (...) {
        thrown = std::current_exception();
        return false;
      }
    };
  // A kept-alive connection may have been closed by the server while idle: then (and
  // only when nothing came back) try once more on a fresh connection.
  for (int attempt = 0;; ++attempt) {
    bool reused = c.connected;
    if (!c.connected) {
      tcp::resolver resolver(c.io);
      beast::error_code ec;
      auto endpoints = resolver.resolve(c.host, c.port, ec);
      if (ec) unreachable(c.server, base_url_, ec.message());
      if (auto failed = c.connection->connect(endpoints, std::min(timeout_ms, 5000L)); !failed.empty()) {
        c.disconnect();
        unreachable(c.server, base_url_, failed);
      }
      c.connected = true;
    }
    if (attempt > 0 && rewind) rewind();
    http_detail::Attempt a = c.connection->send(req, reading);
    if (thrown) {
      c.disconnect();  // the rest of the body is still on its way: the connection is spent
      std::rethrow_exception(thrown);
    }
    if (a.failed) {
      c.disconnect();
      if (reused && !a.got_some && attempt == 0 && !a.timed_out) continue;
      unreachable(c.server, base_url_, a.timed_out ? "no answer within " + std::to_string(timeout_ms) + " ms" : a.error);
    }
    auto& res = a.response;
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
      throw ApiError(Refusal::Upstream, "bad_response", "og-schedd sent a response that is not JSON");
    return parsed;
  }
  if (!parsed.is_discarded() && parsed.contains("error") && parsed["error"].is_object())
    throw ApiError(refusal_of_status(static_cast<int>(r.status)), parsed["error"].value("code", "error"),
                   parsed["error"].value("message", r.body));
  throw ApiError(refusal_of_status(static_cast<int>(r.status)), "http_" + std::to_string(r.status), r.body);
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

std::string url_encode_path(const std::string& path) {
  std::string out;
  size_t start = 0;
  for (size_t slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1)
    out += url_encode(path.substr(start, slash - start)) + "/";
  return out + url_encode(path.substr(start));
}

}  // namespace og
