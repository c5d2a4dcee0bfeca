#include "chain/keccak.hpp"

#include <cstring>

#include "core/hex.hpp"

namespace og::evm {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// Rotation of lane (x, y), indexed [x + 5y].
constexpr int kRotation[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                               25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

constexpr size_t kRate = 136;  // bytes: 1600 - 2 x 256 bits of capacity

inline uint64_t rotl(uint64_t v, int n) { return n == 0 ? v : (v << n) | (v >> (64 - n)); }

void keccak_f(uint64_t a[25]) {
  for (uint64_t rc : kRoundConstants) {
    uint64_t c[5], b[25];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];  // theta
    for (int x = 0; x < 5; ++x) {
      uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[x + y] ^= d;
    }
    for (int x = 0; x < 5; ++x)  // rho and pi: lane (x, y) moves to (y, 2x + 3y)
      for (int y = 0; y < 5; ++y) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], kRotation[x + 5 * y]);
    for (int y = 0; y < 25; y += 5)  // chi
      for (int x = 0; x < 5; ++x) a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
    a[0] ^= rc;  // iota
  }
}

// Lanes are little-endian 64-bit words.
void absorb(uint64_t a[25], const uint8_t* block) {
  for (size_t i = 0; i < kRate / 8; ++i) {
    uint64_t lane = 0;
    for (int k = 7; k >= 0; --k) lane = (lane << 8) | block[8 * i + static_cast<size_t>(k)];
    a[i] ^= lane;
  }
  keccak_f(a);
}

}  // namespace

Hash32 keccak256(std::string_view data) {
  uint64_t a[25] = {};
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t left = data.size();
  for (; left >= kRate; left -= kRate, p += kRate) absorb(a, p);
  uint8_t last[kRate] = {};
  std::memcpy(last, p, left);
  last[left] ^= 0x01;  // Keccak's pad10*1 (SHA-3 would put 0x06 here)
  last[kRate - 1] ^= 0x80;
  absorb(a, last);
  Hash32 out;
  for (size_t i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(a[i / 8] >> (8 * (i % 8)));
  return out;
}

std::string keccak256_hex(std::string_view data) {
  Hash32 h = keccak256(data);
  return to_hex(h.data(), h.size());
}

}  // namespace og::evm
