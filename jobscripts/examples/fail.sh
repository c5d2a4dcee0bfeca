#!/bin/bash
#SBATCH --job-name=fail
#SBATCH --ntasks=1
#SBATCH --time=00:01:00

# Fails on purpose with exit code 3, to test how failures are reported.
echo "this job fails on purpose"
echo "exiting with code 3" >&2
exit 3
