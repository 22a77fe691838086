#!/usr/bin/env node
// An example prediction service: a trained checkpoint behind POST /predict (PNG or JPEG of any size,
// resized and normalised as the checkpoint's training data was).
//
//   node dist/examples/serve.js --checkpoint runs/x/best.safetensors [--port 8080] [--host 127.0.0.1]
//     [--device cpu] [--max-body-bytes 65536] [--max-batch 64] [--max-queue 256] [--request-timeout-ms 10000] [--no-optimize]
//
// Prints "listening on http://HOST:PORT" once it answers (--port 0 takes a free port). SIGTERM or
// SIGINT: stop accepting, finish the requests in flight, exit 0.
import { parseArgs } from 'node:util';

import * as torch from 'torchnode';
import { z } from 'zod';

import { createService } from './service/app.js';
import { PredictBatcher } from './service/batcher.js';

const USAGE = 'Usage: node dist/examples/serve.js --checkpoint FILE [--port N] [--host H] [--device D] [--max-body-bytes N] [--max-batch N] ' +
  '[--max-queue N] [--request-timeout-ms N] [--no-optimize]';

const count = (what: string, min: number, max: number) => z.coerce.number({ error: `--${what} must be a number` })
  .int(`--${what} must be an integer`).min(min, `--${what} must be at least ${min}`).max(max, `--${what} must be at most ${max}`);

const flags = z.strictObject({
  checkpoint: z.string({ error: '--checkpoint FILE is required (a .safetensors file written by torchnode train or torch.save)' }).min(1),
  port: count('port', 0, 65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  device: z.string().default('cpu'),
  'max-body-bytes': count('max-body-bytes', 1024, 64 << 20).default(64 * 1024),
  'max-batch': count('max-batch', 1, 4096).default(64),
  'max-queue': count('max-queue', 1, 1 << 20).default(256),
  'request-timeout-ms': count('request-timeout-ms', 100, 600_000).default(10_000),
  'no-optimize': z.boolean().default(false),
});

function options(): z.output<typeof flags> {
  const str = { type: 'string' } as const;
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ options: { checkpoint: str, port: str, host: str, device: str, 'max-body-bytes': str, 'max-batch': str,
      'max-queue': str, 'request-timeout-ms': str, 'no-optimize': { type: 'boolean' } }, strict: true }));
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  const r = flags.safeParse(values);
  if (!r.success) throw new Error(`${r.error.issues[0]!.message}\n${USAGE}`);
  return r.data;
}

async function main(): Promise<void> {
  const o = options();
  const model = torch.train.loadModel(o.checkpoint, { device: o.device });
  // input size, classes and normalisation as the checkpoint's metadata says (CIFAR-10's when it says nothing)
  const info = torch.models.readModelInfo(o.checkpoint);
  const [h, w] = info.inputSize;
  // batch norms folded, channels-last weights, replayed natively: the same results to float32 rounding
  const fast = o['no-optimize'] ? model : model.optimizeForInference({ inputShape: [3, h, w] });
  const batcher = new PredictBatcher(fast, info, { maxBatch: o['max-batch'], device: o.device as torch.Device });
  // the first predict records the forward (on this thread): do it before taking requests
  await batcher.predict(new Uint8Array(3 * h * w));
  const service = createService(batcher, { model: info.model, device: o.device, classes: info.classes, inputSize: info.inputSize, maxBodyBytes: o['max-body-bytes'],
    maxQueue: o['max-queue'], requestTimeoutMs: o['request-timeout-ms'] });
  service.server.listen(o.port, o.host, () => {
    const address = service.server.address();
    const port = typeof address === 'object' && address ? address.port : o.port;
    console.log(`listening on http://${o.host}:${port}`);
  });

  const stop = (signal: string): void => {
    console.log(`${signal}: finishing the requests in flight`);
    // a stuck client must not keep the process alive for ever
    setTimeout(() => {
      console.error('torchnode serve: requests still open after 10 s; closing them');
      service.server.closeAllConnections();
      process.exit(1);
    }, 10_000).unref();
    void service.close().then(() => {
      batcher.dispose();
      model.dispose();
      console.log('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  console.error(`torchnode serve: ${(e as Error).message}`);
  process.exit(1);
});
