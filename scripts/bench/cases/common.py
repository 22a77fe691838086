"""What every PyTorch benchmark case shares: flags, the settings both sides use, timing, and the
lockstep protocol with the runner."""
import json
import os
import sys
import time

import torch


def flags(defaults):
    """`--key=value` flags over `defaults`; numbers stay numbers."""
    out = dict(defaults)
    for arg in sys.argv[1:]:
        key, sep, raw = arg[2:].partition("=")
        if not arg.startswith("--") or not sep:
            raise SystemExit(f"bad flag {arg}: expected --key=value")
        if key not in defaults:
            raise SystemExit(f"unknown flag --{key}")
        out[key] = type(defaults[key])(raw) if not isinstance(defaults[key], str) else raw
    return out


def setup(device="cpu"):
    """The settings the Node side uses too: every core, seed 0; the device's flags as the recipe sets them."""
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    torch.manual_seed(0)
    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cuda.matmul.allow_tf32 = True


def now():
    return time.perf_counter()


def seconds(start, device="cpu"):
    """Seconds since `start`, after waiting for the device."""
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def median(values):
    s = sorted(values)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def emit(value, **details):
    """The one line the runner reads: {"value": ..., ...details}."""
    print(json.dumps({"value": value, "threads": torch.get_num_threads(), **details}), flush=True)


def serve(round_fn, **ready):
    """Lockstep with the runner, which alternates this process and its torchnode twin round by
    round: says it is ready (set up and warmed up), then runs round_fn() for each "round" line
    on stdin and answers with its value; stops at "end" or the end of input."""
    emit(None, ready=True, **ready)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        emit(round_fn())
