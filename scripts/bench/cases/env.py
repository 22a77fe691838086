"""What the PyTorch side runs on: versions, threads, CUDA/cuDNN."""
import json
import os
import sys

import torch

from common import setup

setup()
available = torch.cuda.is_available()
why = None
if not available:
    why = f"PyTorch {torch.__version__} has no CUDA" if torch.version.cuda is None else f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}) sees no device"
print(json.dumps({
    "pytorch": torch.__version__,
    "python": sys.executable,
    "library": os.path.realpath(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")),
    "threads": torch.get_num_threads(),
    "cuda": torch.version.cuda,
    "cudaAvailable": available,
    "gpu": torch.cuda.get_device_name(0) if available else None,
    "cudnn": torch.backends.cudnn.version() if available else None,
    "whyNoCuda": why,
}))
