#include "cli/progress_bar.hpp"

#include <algorithm>
#include <cstdio>

#include "core/strings.hpp"
#include "core/time_util.hpp"

namespace og::cli {

namespace {

std::string mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

}  // namespace

std::string render_progress(const std::string& label, uint64_t received, uint64_t total, double elapsed_s,
                            int bar_width) {
  std::string line = label + "  ";
  if (total > 0) {
    double fraction = std::min(1.0, static_cast<double>(received) / static_cast<double>(total));
    int filled = static_cast<int>(fraction * bar_width);
    std::string bar(static_cast<size_t>(bar_width), ' ');
    std::fill_n(bar.begin(), filled, '=');
    if (filled < bar_width) bar[static_cast<size_t>(filled)] = '>';
    char percent[8];
    std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
    line += "[" + bar + "] " + percent + "  " + mib(received) + "/" + mib(total) + " MiB";
  } else {
    line += mib(received) + " MiB";
  }
  if (elapsed_s > 0) line += "  " + mib(static_cast<uint64_t>(static_cast<double>(received) / elapsed_s)) + " MiB/s";
  return line;
}

// A provider chose the name: no escape sequences reach the terminal.
ProgressBar::ProgressBar(std::ostream& out, std::string label) : out_(out), label_(printable(label)) {}

void ProgressBar::update(uint64_t received, uint64_t total) {
  int64_t now = monotonic_us();
  if (start_us_ < 0) start_us_ = now;
  received_ = received;
  total_ = total;
  if (drawn_us_ < 0 || now - drawn_us_ >= 100'000) draw(now);
}

void ProgressBar::finish() {
  int64_t now = monotonic_us();
  if (start_us_ < 0) start_us_ = now;
  draw(now);
  out_ << "\n" << std::flush;
}

void ProgressBar::draw(int64_t now_us) {
  // \r and erase-to-end-of-line: the line is redrawn in place.
  out_ << "\r" << render_progress(label_, received_, total_, static_cast<double>(now_us - start_us_) / 1e6) << "\x1b[K"
       << std::flush;
  drawn_us_ = now_us;
}

}  // namespace og::cli
