// og-fetch's progress line: bar, percentage, sizes and speed; unknown totals; and the
// path encoding its requests use.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "cli/progress_bar.hpp"
#include "core/http_client.hpp"

namespace og::cli {
namespace {

TEST(ProgressBar, RendersTheBarThePercentageTheSizesAndTheSpeed) {
  EXPECT_EQ(render_progress("model.h5", 1 << 20, 2 << 20, 1.0, 10), "model.h5  [=====>    ]  50%  1.0/2.0 MiB  1.0 MiB/s");
  EXPECT_EQ(render_progress("f", 3 << 20, 3 << 20, 2.0, 4), "f  [====] 100%  3.0/3.0 MiB  1.5 MiB/s");
  EXPECT_EQ(render_progress("f", 0, 3 << 20, 0, 4), "f  [>   ]   0%  0.0/3.0 MiB");
  EXPECT_EQ(render_progress("f", 5 << 20, 0, 1.0), "f  5.0 MiB  5.0 MiB/s") << "no total announced";
  EXPECT_EQ(render_progress("f", 4 << 20, 2 << 20, 1.0, 4), "f  [====] 100%  4.0/2.0 MiB  4.0 MiB/s") << "never past 100%";
}

TEST(ProgressBar, RedrawsInPlaceAndEndsWithANewline) {
  std::ostringstream out;
  ProgressBar bar(out, "x");
  bar.update(1, 2);
  bar.update(2, 2);  // within 0.1 s of the first: not drawn
  bar.finish();
  std::string text = out.str();
  EXPECT_EQ(text.rfind("\r", 0), 0u);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 2);
  EXPECT_NE(text.find("100%"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(ProgressBar, NamesCannotSendEscapesToTheTerminal) {
  std::ostringstream out;
  ProgressBar bar(out, "evil\x1b]0;owned\x07.txt");
  bar.finish();
  EXPECT_NE(out.str().find("evil?]0;owned?.txt"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find('\x07'), std::string::npos);
}

TEST(UrlEncodePath, KeepsSlashesAndEncodesEachPart) {
  EXPECT_EQ(url_encode_path("sub/a b?%.txt"), "sub/a%20b%3F%25.txt");
  EXPECT_EQ(url_encode_path("plain.txt"), "plain.txt");
}

}  // namespace
}  // namespace og::cli
