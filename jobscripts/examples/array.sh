#!/bin/bash
#SBATCH --job-name=array
#SBATCH --array=0-3
#SBATCH --ntasks=1
#SBATCH --time=00:01:00
#SBATCH --output=array-%A_%a.out

# Each array task prints its own index and something computed from it; nothing else.
set -eu

task=${SLURM_ARRAY_TASK_ID:?this script must run as an array task}
echo "array task ${task}"
echo "task ${task} squared is $((task * task))"
