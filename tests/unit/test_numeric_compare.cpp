// --verify=fuzzy: the mode's syntax and how CSV outputs are compared.
#include <gtest/gtest.h>

#include "verify/numeric_compare.hpp"

namespace og {
namespace {

TEST(VerifyMode, ExactOrFuzzyWithASensibleTolerance) {
  EXPECT_FALSE(parse_verify_mode("exact")->compares_contents());
  auto fuzzy = parse_verify_mode("fuzzy:1e-9");
  ASSERT_TRUE(fuzzy.has_value());
  EXPECT_EQ(fuzzy->kind, VerifyMode::Kind::Fuzzy);
  EXPECT_DOUBLE_EQ(fuzzy->rel_tol, 1e-9);
  for (const char* bad : {"", "fuzzy", "fuzzy:", "fuzzy:0", "fuzzy:1", "fuzzy:-1e-3", "fuzzy:abc", "fuzzy:1e-3x", "exactly"})
    EXPECT_FALSE(parse_verify_mode(bad).has_value()) << bad;
}

TEST(NumericCompare, NumbersWithinTheToleranceAgree) {
  EXPECT_TRUE(csv_close("1.0,2.0\n3.0,4.0\n", "1.0000001,2.0\n3.0,3.9999999\n", 1e-6));
  EXPECT_FALSE(csv_close("1.0,2.0\n", "1.01,2.0\n", 1e-6));
  EXPECT_TRUE(csv_close("step loss\n1 0.25\n", "step loss\n1 0.2500000001\n", 1e-6)) << "text cells match exactly";
  EXPECT_FALSE(csv_close("step loss\n", "step LOSS\n", 1e-6));
  EXPECT_TRUE(csv_close("0,0\n", "0,0\n", 1e-12)) << "zero against zero";
  EXPECT_FALSE(csv_close("0\n", "1e-300\n", 1e-6)) << "relative to the larger: any change of a zero is total";
  EXPECT_TRUE(csv_close("nan\n", "nan\n", 0.5)) << "identical text is identical";
  EXPECT_FALSE(csv_close("nan\n", "1\n", 0.5));
  EXPECT_FALSE(csv_close("inf\n", "1\n", 0.5)) << "an infinity is close to nothing but itself";
  EXPECT_FALSE(csv_close("inf\n", "-inf\n", 1e-9));
}

TEST(NumericCompare, TheShapeMustMatch) {
  EXPECT_FALSE(csv_close("1,2\n3\n", "1\n2,3\n", 1e-3)) << "same numbers, other rows";
  EXPECT_FALSE(csv_close("1,2,3\n", "1,2\n", 1e-3));
  EXPECT_FALSE(csv_close("1\n", "1\n2\n", 1e-3));
  EXPECT_TRUE(is_numeric_output("results/loss.csv"));
  EXPECT_FALSE(is_numeric_output("model.bin"));
  EXPECT_FALSE(is_numeric_output(".csv"));
  EXPECT_TRUE(is_numeric_output("ckpt.h5"));
}

}  // namespace
}  // namespace og
