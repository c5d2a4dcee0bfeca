// A progress bar on a terminal for a download (og-fetch, og-sbatch --wait): one line,
// redrawn in place at most ten times a second, ended with a newline when done.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace og::cli {

// The line for `received` of `total` bytes (total 0: unknown) after elapsed_s seconds:
//   "model.h5  [=========>          ]  45%  12.3/27.0 MiB  8.1 MiB/s"
std::string render_progress(const std::string& label, uint64_t received, uint64_t total, double elapsed_s,
                            int bar_width = 30);

class ProgressBar {
 public:
  // label: a file name from a stranger's manifest; shown with control characters as '?'.
  ProgressBar(std::ostream& out, std::string label);
  void update(uint64_t received, uint64_t total);  // redraws when 0.1 s passed since the last
  void finish();                                    // the final line, and a newline

 private:
  std::ostream& out_;
  std::string label_;
  int64_t start_us_ = -1, drawn_us_ = -1;
  uint64_t received_ = 0, total_ = 0;
  void draw(int64_t now_us);
};

}  // namespace og::cli
