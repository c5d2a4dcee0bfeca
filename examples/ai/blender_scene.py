"""A scene built from nothing but this script (no downloaded assets), rendered with Cycles
on the CPU, one frame per call: run inside Blender,

  blender -b --factory-startup -noaudio --python-exit-code 2 -P blender_scene.py -- \
          --frame N [--frames 24] [--samples 32] [--size 480x270] [--out frame-NNNN.png]

A ring of spheres in three materials and a monkey on a floor, lit by a sun and an area
light, seen by a camera that circles it once over --frames frames. No material emits
light: Blender 3.4 builds the light distribution of emitting meshes in an order that
changes from run to run, and with it the noise. The frame defaults to
$SLURM_ARRAY_TASK_ID + 1, so an array of --frames tasks renders the whole turn. Sampling
is seeded and never animated, denoising is off: replicas render the same pixels, up to
the rounding of their CPUs (submit with --verify=image:…)."""
import argparse
import math
import os
import sys

import bpy


def options():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    ap = argparse.ArgumentParser(prog="blender_scene.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--frame", type=int, default=int(os.environ.get("SLURM_ARRAY_TASK_ID", "0")) + 1)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--size", default="480x270")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("SLURM_CPUS_ON_NODE", "0")))
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    try:
        a.width, a.height = (int(v) for v in a.size.lower().split("x"))
    except ValueError:
        ap.error(f"--size {a.size}: WIDTHxHEIGHT, e.g. 480x270")
    if not 1 <= a.frame <= a.frames or not 1 <= a.samples <= 4096 or not (16 <= a.width <= 8192 and 16 <= a.height <= 8192):
        ap.error("--frame 1..--frames, --samples 1-4096, --size within 16x16-8192x8192")
    a.out = a.out or f"frame-{a.frame:04d}.png"
    return a


def material(name, color, metallic=0.0, roughness=0.5):
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    bsdf = m.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Metallic"].default_value = metallic
    bsdf.inputs["Roughness"].default_value = roughness
    return m


def build(a):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, a.frames

    bpy.ops.mesh.primitive_plane_add(size=30)
    bpy.context.object.data.materials.append(material("floor", (0.8, 0.8, 0.75), roughness=0.3))
    kinds = [material("gold", (1.0, 0.76, 0.33), metallic=1.0, roughness=0.2),
             material("clay", (0.7, 0.2, 0.15), roughness=0.8),
             material("gloss", (0.1, 0.3, 0.9), roughness=0.05)]
    for i in range(9):
        angle = 2 * math.pi * i / 9
        bpy.ops.mesh.primitive_uv_sphere_add(radius=0.7 + 0.15 * (i % 3), location=(4 * math.cos(angle), 4 * math.sin(angle), 0.9))
        bpy.ops.object.shade_smooth()
        bpy.context.object.data.materials.append(kinds[i % 3])
    bpy.ops.mesh.primitive_monkey_add(size=2.2, location=(0, 0, 1.4))
    bpy.ops.object.shade_smooth()
    bpy.context.object.data.materials.append(kinds[0])

    bpy.ops.object.light_add(type="SUN", rotation=(0.6, 0.2, 0.8))
    bpy.context.object.data.energy = 3.0
    bpy.ops.object.light_add(type="AREA", location=(0, -6, 8))
    bpy.context.object.data.energy = 800.0
    bpy.context.object.data.size = 5.0

    world = bpy.data.worlds.new("sky")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.05, 0.07, 0.12, 1.0)
    scene.world = world

    # The camera circles the ring once, looking at its centre.
    bpy.ops.object.empty_add(location=(0, 0, 1))
    target = bpy.context.object
    bpy.ops.object.camera_add()
    camera = bpy.context.object
    turn = 2 * math.pi * (a.frame - 1) / a.frames
    camera.location = (14 * math.cos(turn), 14 * math.sin(turn), 7)
    look = camera.constraints.new("TRACK_TO")
    look.target, look.track_axis, look.up_axis = target, "TRACK_NEGATIVE_Z", "UP_Y"
    scene.camera = camera
    scene.frame_set(a.frame)


def render(a):
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = a.samples
    scene.cycles.use_adaptive_sampling = False  # adaptive stopping depends on noise estimates
    scene.cycles.use_denoising = False
    scene.cycles.seed = 0
    scene.cycles.use_animated_seed = False
    if a.threads > 0:
        scene.render.threads_mode, scene.render.threads = "FIXED", a.threads
    scene.render.resolution_x, scene.render.resolution_y = a.width, a.height
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.render.image_settings.color_depth = "8"
    # No render date or time in the file: the same frame, the same bytes.
    scene.render.use_stamp = False
    for flag in dir(scene.render):
        if flag.startswith("use_stamp_"):
            setattr(scene.render, flag, False)
    scene.render.filepath = os.path.abspath(a.out)
    bpy.ops.render.render(write_still=True)


a = options()
build(a)
render(a)
print(f"blender_scene: frame {a.frame} of {a.frames} ({a.width}x{a.height}, {a.samples} samples) in {a.out}")
