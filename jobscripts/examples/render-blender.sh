#!/bin/bash
# A render farm: the scene ai/blender_scene.py builds (no downloaded assets) rendered with
# Cycles on the CPU, one frame per array task, two replicas each whose frames must agree
# pixel by pixel within 45 dB PSNR (Cycles on two CPUs may round a few pixels apart).
# Submit from a directory holding ai/ (a copy of $REPO/examples/ai, REPO being this
# repository), in an image with Blender:
#   og-sbatch --wait --container-image=$OG_REGISTRY/og/blender:1 $REPO/jobscripts/examples/render-blender.sh
#   python3 ai/assemble_frames.py frame-*.png    # contact-sheet.png and turn.png (animated)
# Brings back frame-0001.png … frame-0024.png. Arguments go to ai/blender_scene.py
# (--samples 64, --size 1920x1080, …); your own scene: docs/ai-workloads.md.
#SBATCH --job-name=render
#SBATCH --array=0-23
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=00:20:00
#OG --replicas=2
#OG --input=ai
#OG --verify=image:psnr=45
# Blender prints render times: not voted on.
#OG --exclude-stdio
set -euo pipefail
# Frame SLURM_ARRAY_TASK_ID + 1 (blender_scene.py reads it) of a turn of 24 frames, or of
# as many as the array's highest task asks (--array=0-47: 48).
blender -b --factory-startup -noaudio --python-exit-code 2 -P ai/blender_scene.py -- \
  --frames "$(( ${SLURM_ARRAY_TASK_MAX:-23} + 1 ))" "$@"
