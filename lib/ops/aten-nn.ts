// ATen operators of the nn layers, losses and gradient clipping beyond lib/ops/aten.ts, with the
// argument names passed (the same in libtorch 1.13 and 2.x).
import { op } from './registry.js';

const S = ['self'];

export const atenNn = {
  layerNorm: op('aten::layer_norm', ['input', 'normalized_shape', 'weight', 'bias', 'eps']),
  groupNorm: op('aten::group_norm', ['input', 'num_groups', 'weight', 'bias', 'eps']),
  avgPool2d: op('aten::avg_pool2d', ['self', 'kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override']),
  gelu: op('aten::gelu', ['self', 'approximate']),
  silu: op('aten::silu', S),
  silu_: op('aten::silu_', S),
  upsampleNearest2d: op('aten::upsample_nearest2d.vec', ['input', 'output_size', 'scale_factors']),
  upsampleBilinear2d: op('aten::upsample_bilinear2d.vec', ['input', 'output_size', 'align_corners', 'scale_factors']),
  bceWithLogits: op('aten::binary_cross_entropy_with_logits', ['self', 'target', 'weight', 'pos_weight', 'reduction']),
  // gradient clipping: one norm per gradient, then the norm of those norms
  foreachNorm: op('aten::_foreach_norm.Scalar', ['self', 'ord']),
  vectorNorm: op('aten::linalg_vector_norm', ['self', 'ord']),
  reciprocal: op('aten::reciprocal', S),
} as const;
