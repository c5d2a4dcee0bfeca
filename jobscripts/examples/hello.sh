#!/bin/bash
#SBATCH --job-name=hello
#SBATCH --ntasks=1
#SBATCH --time=00:01:00
#SBATCH --output=hello-%j.out
#OG --replicas=3

# The three replicas must produce byte-identical outputs, so print nothing that varies
# between runs or hosts (no job id, host name, date or timing).
set -euo pipefail

echo "Hello from OpenGrid"
echo "Counting the primes below 20000 with a sieve of Eratosthenes..."

count=$(awk 'BEGIN {
  n = 20000
  for (i = 2; i < n; i++) composite[i] = 0
  for (i = 2; i * i < n; i++)
    if (!composite[i])
      for (k = i * i; k < n; k += i) composite[k] = 1
  c = 0
  for (i = 2; i < n; i++) if (!composite[i]) c++
  print c
}')

echo "primes below 20000: ${count}" > result.txt
echo "Found ${count} primes below 20000 (written to result.txt)"
echo "Done"
