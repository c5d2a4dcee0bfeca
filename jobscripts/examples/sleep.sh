#!/bin/bash
#SBATCH --job-name=sleep
#SBATCH --ntasks=1
#SBATCH --time=00:10:00

# Sleeps for $1 seconds (default 30): a job to cancel or to run past its time limit.
set -eu

seconds=${1:-30}
echo "sleeping for ${seconds} seconds"
sleep "${seconds}"
echo "woke up"
