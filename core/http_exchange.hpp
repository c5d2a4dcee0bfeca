// Writing a request and reading its answer over any Beast stream, each step with its own
// deadline: the one piece of HTTP both kinds of connection (http_connection.hpp) share.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

#include "core/http_connection.hpp"

namespace og::http_detail {

namespace asio = boost::asio;

// Runs one async operation to completion on `io`, with a deadline on `lowest`.
template <typename Start>
beast::error_code run_with_deadline(asio::io_context& io, beast::tcp_stream& lowest, Start start, long timeout_ms) {
  beast::error_code result;
  lowest.expires_after(std::chrono::milliseconds(timeout_ms));
  start([&result](beast::error_code e, auto&&...) { result = e; });
  io.restart();
  io.run();
  return result;
}

inline void fail(Attempt& a, const beast::error_code& ec) {
  a.failed = true;
  a.timed_out = ec == beast::error::timeout;
  a.error = ec.message();
}

template <typename Stream, typename Request>
Attempt write_and_read(asio::io_context& io, beast::tcp_stream& lowest, Stream& stream, beast::flat_buffer& buffer,
                       Request& req, const Reading& reading) {
  Attempt attempt;
  http::response_parser<http::string_body> parser;
  if (req.method() == http::verb::head) parser.skip(true);  // a length, and no body to wait for
  if (reading.sink) parser.body_limit(boost::none);         // streamed out: never held whole
  else parser.body_limit(1024ull * 1024 * 1024);
  auto ec = run_with_deadline(io, lowest, [&](auto done) { http::async_write(stream, req, done); }, reading.timeout_ms);
  // The server may answer early and stop reading (413 for an oversize body): its answer
  // is still worth reading when our write broke off.
  if (!ec || ec == asio::error::broken_pipe || ec == asio::error::connection_reset) {
    // Piece by piece, each read with its own deadline (a large download is not cut off for
    // its total length), telling the caller how far the body has come.
    auto e = run_with_deadline(io, lowest, [&](auto done) { http::async_read_header(stream, buffer, parser, done); },
                               reading.timeout_ms);
    uint64_t total = parser.content_length().value_or(0), received = 0;
    bool streaming = !e && reading.sink && parser.get().result_int() / 100 == 2;
    // Any other answer is kept in memory: a refusal's few words, never an endless body.
    if (!e && reading.sink && !streaming) parser.body_limit(1 << 20);
    while (!e && !parser.is_done()) {
      e = run_with_deadline(io, lowest, [&](auto done) { http::async_read_some(stream, buffer, parser, done); },
                            reading.timeout_ms);
      auto& body = parser.get().body();
      received = streaming ? received + body.size() : body.size();
      if (streaming && !body.empty()) {
        if (!reading.sink(body)) {  // the taker gave up: the rest of the body is still on its way
          attempt.failed = true;
          attempt.got_some = true;
          attempt.error = "the answer's taker stopped";
          return attempt;
        }
        body.clear();
      }
      if (reading.progress) reading.progress(received, total);
    }
    if (!e || !parser.is_done()) ec = e;
    if (parser.is_done()) ec = {};
  }
  attempt.got_some = parser.got_some();
  if (ec) fail(attempt, ec);
  else attempt.response = parser.release();
  return attempt;
}

}  // namespace og::http_detail
