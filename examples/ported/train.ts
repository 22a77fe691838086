// examples/ported/train.py, ported line for line: the same model, loss, optimizer, one-cycle
// schedule, gradient clipping and top-5 accuracy. `node dist/examples/ported/train.js [--json]`;
// test/ported.test.ts checks its losses, learning rates and accuracies against PyTorch's.
import { pathToFileURL } from 'node:url';

import * as torch from 'torchnode';

const { nn } = torch;

export interface PortedResult {
  losses: number[];
  lrs: number[];
  top1: number;
  top5: number;
}

export function run(): PortedResult {
  torch.manualSeed(0);
  const x = torch.randn([96, 3, 16, 16]);
  const y = torch.randint(0, 10, [96]);

  const model = new nn.Sequential(
    new nn.Conv2d(3, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(),
    new nn.AvgPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.GroupNorm(4, 32), new nn.GELU(),
    new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(32, 10));
  const criterion = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
  const scheduler = new torch.optim.lrScheduler.OneCycleLR(optimizer, { maxLr: 0.2, totalSteps: 24 });

  const losses: number[] = [];
  const lrs: number[] = [];
  model.train();
  for (let step = 0; step < 24; step++) {
    const start = (step % 3) * 32;
    optimizer.zeroGrad();
    // tidy frees the step's intermediates (Python's garbage collector does it there)
    const loss = torch.tidy(() => {
      const [inputs, targets] = [x.narrow(0, start, 32), y.narrow(0, start, 32)];
      const l = criterion.forward(model.forward(inputs), targets);
      l.backward();
      return l.item() as number;
    });
    nn.utils.clipGradNorm_(model.parameters(), 1.0).dispose();
    optimizer.step();
    scheduler.step();
    losses.push(loss);
    lrs.push(scheduler.getLastLr()[0]!);
  }

  model.eval();
  const [top1, top5] = torch.noGrad(() => torch.tidy(() => {
    const logits = model.forward(x);
    const [, top5] = logits.topk(5, 1);
    return [
      top5.select(1, 0).eq(y).float().mean().item() as number,
      top5.eq(y.unsqueeze(1)).any(1).float().mean().item() as number,
    ];
  }));
  for (const t of [x, y]) t.dispose();
  optimizer.dispose();
  model.dispose();
  return { losses, lrs, top1: top1!, top5: top5! };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = run();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else console.log(`loss ${result.losses[0]!.toFixed(4)} -> ${result.losses.at(-1)!.toFixed(4)}, top-1 ${result.top1.toFixed(3)}, top-5 ${result.top5.toFixed(3)}`);
}
