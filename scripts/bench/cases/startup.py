"""Start-up latency: import torch, build ResNet-34 (CIFAR stem), take one SGD step on a batch of 8.
The runner times this process from spawn to its result line."""
import json
import time

t0 = time.perf_counter()
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from common import setup  # noqa: E402
from resnet import resnet34  # noqa: E402

loaded = time.perf_counter()
setup()
model = resnet34(10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4, foreach=True)
loss = F.cross_entropy(model(torch.randn(8, 3, 32, 32)), torch.randint(0, 10, (8,)))
loss.backward()
optimizer.step()
optimizer.zero_grad(set_to_none=True)
stepped = time.perf_counter()
print(json.dumps({"value": None, "importSeconds": loaded - t0, "firstStepSeconds": stepped - loaded}), flush=True)
