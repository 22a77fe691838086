#!/usr/bin/env python3
"""Reads and writes safetensors files with PyTorch alone, for torchnode's interop tests.

    /usr/bin/python3 scripts/references/safetensors_interop.py read FILE
    /usr/bin/python3 scripts/references/safetensors_interop.py write FILE

The reader and writer are written here from the format's description (an 8-byte
little-endian header length, a JSON header, then raw little-endian tensor bytes); the
`safetensors` package is not used. Both commands print one JSON object to stdout:

    {"metadata": {...}, "order": [names in data order],
     "tensors": {name: {"dtype", "shape", "values"[, "bits"]}}}

dtype is torchnode's name. values is the flat row-major list: floats as exact doubles with
"nan", "inf" and "-inf" as strings (JSON has no such numbers), int64 as decimal strings (a
JSON number cannot hold every int64), other integers as numbers, bool as true/false.
float16 and bfloat16 also carry "bits", the raw 16-bit patterns, which toTypedArray() returns.

`read` also checks what torchnode promises of the files it writes: the data section starts
at a multiple of 8 and the tensors fill it back to back, in header order, with no holes.
"""
import json
import struct
import sys

import torch

DTYPES = {
    'F32': (torch.float32, 'float32'), 'F64': (torch.float64, 'float64'), 'F16': (torch.float16, 'float16'),
    'BF16': (torch.bfloat16, 'bfloat16'), 'I64': (torch.int64, 'int64'), 'I32': (torch.int32, 'int32'),
    'I16': (torch.int16, 'int16'), 'I8': (torch.int8, 'int8'), 'U8': (torch.uint8, 'uint8'), 'BOOL': (torch.bool, 'bool'),
}
CODE_OF = {torch_dtype: code for code, (torch_dtype, _) in DTYPES.items()}
FLOATING = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def float_value(v):
    if v != v:
        return 'nan'
    if v in (float('inf'), float('-inf')):
        return 'inf' if v > 0 else '-inf'
    return v


def describe(t):
    """A tensor as JSON-ready {dtype, shape, values[, bits]}."""
    flat = t.detach().contiguous().reshape(-1)
    if t.dtype in FLOATING:
        values = [float_value(v) for v in flat.double().tolist()]
    elif t.dtype == torch.int64:
        values = [str(v) for v in flat.tolist()]
    else:
        values = flat.tolist()
    out = {'dtype': DTYPES[CODE_OF[t.dtype]][1], 'shape': list(t.shape), 'values': values}
    if t.dtype in (torch.float16, torch.bfloat16):
        out['bits'] = (flat.view(torch.int16).to(torch.int32) & 0xFFFF).tolist()
    return out


def raw_bytes(t):
    """The row-major little-endian bytes of a tensor (numpy has no bfloat16, so 16-bit floats go as int16)."""
    t = t.detach().contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)
    assert sys.byteorder == 'little'
    return t.numpy().tobytes()


def read(path):
    with open(path, 'rb') as f:
        blob = f.read()
    (n,) = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + n].decode('utf-8'))
    data = blob[8 + n:]
    if (8 + n) % 8 != 0:
        raise SystemExit(f'data section starts at byte {8 + n}, not a multiple of 8')
    metadata = header.pop('__metadata__', {})
    tensors, order, expect = {}, [], 0
    for name, info in header.items():  # json keeps the file's key order
        torch_dtype, _ = DTYPES[info['dtype']]
        begin, end = info['data_offsets']
        if begin != expect:
            raise SystemExit(f'tensor {name!r} begins at {begin}, expected {expect}: tensors are not back to back')
        expect = end
        chunk = data[begin:end]
        if len(chunk) == 0:
            t = torch.empty(info['shape'], dtype=torch_dtype)
        else:
            t = torch.frombuffer(bytearray(chunk), dtype=torch_dtype).reshape(info['shape'])
        tensors[name] = describe(t)
        order.append(name)
    if expect != len(data):
        raise SystemExit(f'data section has {len(data) - expect} bytes after the last tensor')
    return {'metadata': metadata, 'order': order, 'tensors': tensors}


def reference_tensors():
    """PyTorch tensors of every dtype, with awkward values and layouts."""
    g = torch.Generator().manual_seed(1234)
    t = {}
    t['conv.weight'] = torch.randn(4, 3, 3, 3, generator=g)
    t['conv.weight_cl'] = torch.randn(2, 3, 2, 2, generator=g).contiguous(memory_format=torch.channels_last)
    t['specials.f32'] = torch.tensor([0.0, -0.0, float('inf'), float('-inf'), float('nan'), 1e-45, 3.4028234663852886e38])
    t['f64'] = torch.tensor([[0.1, -1 / 3], [1e300, 5e-324]], dtype=torch.float64).t()  # non-contiguous source
    t['f16'] = torch.tensor([1.0, -2.5, 65504.0, 6e-8, float('inf'), float('nan'), -0.0], dtype=torch.float16)
    t['bf16'] = (torch.randn(3, 4, generator=g) * 100).to(torch.bfloat16)
    t['i64'] = torch.tensor([0, -1, 2 ** 63 - 1, -2 ** 63, 2 ** 53 + 1], dtype=torch.int64)
    t['i32'] = torch.tensor([[2 ** 31 - 1, -2 ** 31], [7, -7]], dtype=torch.int32)
    t['i16'] = torch.tensor([32767, -32768, 1], dtype=torch.int16)
    t['i8'] = torch.tensor([127, -128, 0], dtype=torch.int8)
    t['u8'] = torch.arange(0, 256, 51, dtype=torch.uint8)
    t['bool'] = torch.tensor([[True, False, True]])
    t['scalar'] = torch.tensor(2.75, dtype=torch.float64)
    t['empty'] = torch.zeros(0, 5, dtype=torch.int32)
    return t


def write(path):
    tensors = reference_tensors()
    metadata = {'format': 'pt', 'written by': 'safetensors_interop.py', 'ünïcode': 'ok ✓'}
    header, chunks, offset = {'__metadata__': metadata}, [], 0
    for name, t in tensors.items():
        b = raw_bytes(t)
        header[name] = {'dtype': CODE_OF[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header, ensure_ascii=False).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in chunks:
            f.write(b)
    return {'metadata': metadata, 'order': list(tensors), 'tensors': {k: describe(v) for k, v in tensors.items()}}


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in ('read', 'write'):
        raise SystemExit(__doc__)
    command, path = sys.argv[1:]
    print(json.dumps(read(path) if command == 'read' else write(path)))
