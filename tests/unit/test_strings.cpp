// Comma lists and quoting (core/strings): what logs and Prometheus labels are made of.
#include <gtest/gtest.h>

#include "core/strings.hpp"

namespace og {
namespace {

TEST(Strings, SplitKeepsNonEmptyPiecesAndJoinPutsThemBack) {
  EXPECT_EQ(split_list("a,,b,c,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(join({"a", "b", "c"}, ","), "a,b,c");
  EXPECT_EQ(join({}, ","), "");
}

TEST(Strings, EscapeQuotedEscapesQuotesBackslashesAndNewlines) {
  EXPECT_EQ(escape_quoted("plain"), "plain");
  EXPECT_EQ(escape_quoted("say \"hi\"\\now\nnext"), "say \\\"hi\\\"\\\\now\\nnext");
}

TEST(Strings, PrintableTextCarriesNoEscapeSequenceToATerminal) {
  EXPECT_EQ(printable("job \x1b[2J\x1b]0;pwned\x07name\r\n"), "job ?[2J?]0;pwned?name??");
  EXPECT_EQ(printable("csi \xc2\x9b" "31m del \x7f"), "csi ?31m del ?");
  EXPECT_EQ(printable("caf\xc3\xa9 \xc3\x9b \xe2\x9c\x93 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xc3\x9b \xe2\x9c\x93 \xf0\x9f\x98\x80")
      << "other UTF-8 stays (0x9B inside a character too)";
  EXPECT_EQ(printable("8-bit \x9b" "31m, cut \xe2\x9c"), "8-bit ?31m, cut ??") << "stray bytes go";
}

TEST(Strings, PlainNamesAreShortAndSafeForPathsAndUrls) {
  EXPECT_TRUE(is_plain_name("worker-1.site_A"));
  EXPECT_TRUE(is_plain_name(std::string(64, 'a')));
  EXPECT_FALSE(is_plain_name(std::string(65, 'a')));
  EXPECT_FALSE(is_plain_name(""));
  EXPECT_FALSE(is_plain_name("a/b"));
  EXPECT_FALSE(is_plain_name("op@site"));
  EXPECT_TRUE(is_plain_name("op@site", "@"));
}

}  // namespace
}  // namespace og
