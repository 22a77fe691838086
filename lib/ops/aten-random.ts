// The random operators' Generator overloads, with the argument names torchnode passes.
import { op } from './registry.js';

const FACTORY = ['dtype', 'layout', 'device', 'pin_memory'];

export const atenRandom = {
  rand: op('aten::rand.generator', ['size', 'generator', ...FACTORY]),
  randn: op('aten::randn.generator', ['size', 'generator', ...FACTORY]),
  randint: op('aten::randint.low_generator', ['low', 'high', 'size', 'generator', ...FACTORY]),
  randperm: op('aten::randperm.generator', ['n', 'generator', ...FACTORY]),
  normal_: op('aten::normal_', ['self', 'mean', 'std', 'generator']),
  uniform_: op('aten::uniform_', ['self', 'from', 'to', 'generator']),
  bernoulli_: op('aten::bernoulli_.float', ['self', 'p', 'generator']),
};
