"""A training job's checkpoints: the model's and optimizer's tensors in one safetensors
file, with the step and whatever else the trainer needs in its metadata. Each is written
next to the outputs, then handed to OpenGrid as milestone $OG_MILESTONES/N (paid once the
replicas agree on it); a replica started after one was verified finds it in
$OG_RESUME_CHECKPOINT and continues from there."""
import json
import os
import shutil

import safetensors_file


class CheckpointError(ValueError):
    """A checkpoint that cannot be continued; the message says why and what to do."""


def save(path, model, optimizer, metadata, settings, number):
    """Writes the checkpoint to path and, inside OpenGrid, announces it as milestone number."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    for i, p in enumerate(model.parameters()):
        for key, value in optimizer.state[p].items():
            tensors[f"optimizer.{i}.{key}"] = value
    safetensors_file.write(path, tensors, {**metadata, "settings": settings})
    directory = os.environ.get("OG_MILESTONES")
    if directory:
        tmp = os.path.join(directory, f".{number}")
        shutil.copyfile(path, tmp)
        os.replace(tmp, os.path.join(directory, str(number)))  # whole, or not at all


def resume_from(path):
    """The checkpoint to continue from: the one OpenGrid handed this replica, else path if a
    previous run left it; None to start afresh."""
    handed = os.environ.get("OG_RESUME_CHECKPOINT")
    if handed and os.path.isfile(handed):
        return handed
    return path if os.path.isfile(path) else None


def load(path, model, optimizer, settings):
    """Restores model and optimizer from path; returns its metadata."""
    try:
        tensors, meta = safetensors_file.read(path)
    except safetensors_file.FormatError as e:
        raise CheckpointError(str(e)) from None
    if meta.get("settings") != settings:
        raise CheckpointError(f"{path} was written with other settings ({meta.get('settings')}); rerun with "
                              f"those, or with --resume no to start afresh")
    model.load_state_dict({k[len("model."):]: v.clone() for k, v in tensors.items() if k.startswith("model.")})
    for i, p in enumerate(model.parameters()):
        prefix = f"optimizer.{i}."
        state = {k[len(prefix):]: v.clone() for k, v in tensors.items() if k.startswith(prefix)}
        if state:
            optimizer.state[p] = state
    return meta


def resume(path, model, optimizer, settings, enabled=True):
    """Continues model and optimizer from the checkpoint resume_from finds (when enabled):
    its metadata, or None to start afresh. Raises CheckpointError."""
    source = resume_from(path) if enabled else None
    if not source:
        return None
    meta = load(source, model, optimizer, settings)
    print(f"resumed from {source} at step {meta['step']}")
    return meta


def add_run_options(parser):
    """The options both trainers take beside their own: where and how this run goes, none
    of which a checkpoint must match."""
    parser.add_argument("--resume", choices=["auto", "no"], default="auto")
    parser.add_argument("--stop-after", type=int, default=0, help="steps (tests: a run cut short)")
    parser.add_argument("--out", default=".")
    parser.add_argument("--data", default=None)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("SLURM_CPUS_ON_NODE", "1")))


def settings_of(args, names):
    """The settings a checkpoint must have been written with to be continued."""
    return json.dumps({name: getattr(args, name) for name in names}, sort_keys=True)
