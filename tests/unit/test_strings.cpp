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

}  // namespace
}  // namespace og
