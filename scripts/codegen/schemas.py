"""Prints, as JSON, every aten operator schema of this Python's libtorch (parsed from its text, which
keeps ScalarType, Layout and MemoryFormat apart) and the names PyTorch makes public
(torch.Tensor methods, torch.* functions, torch.nn.functional): codegen and coverage read it."""
import json
import re
import sys

import torch
import torch.nn.functional as F


def split_top(text):
    """Splits at commas outside brackets and quotes."""
    parts, depth, quote, cur = [], 0, None, ''
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in '"\'':
            quote = ch
        elif ch in '([':
            depth += 1
        elif ch in ')]':
            depth -= 1
        elif ch == ',' and depth == 0:
            parts.append(cur.strip())
            cur = ''
            continue
        cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_arg(text, kwarg_only):
    default = None
    if '=' in text:
        text, default = text.split('=', 1)
    type_, _, name = text.strip().rpartition(' ')
    write = '!' in type_
    # alias annotations: Tensor(a!), Tensor(a), Tensor(b|a), t(a -> *)
    type_ = re.sub(r'\((?:[a-z]|\*|\||!|\s|->)+\)', '', type_)
    return {'name': name, 'type': type_.replace('SymInt', 'int'), 'default': default, 'kwargOnly': kwarg_only, 'write': write}


def schema(s):
    text = str(s)
    head, _, ret = text.partition(') -> ')
    params = head[head.index('(') + 1:]
    args, kwarg_only = [], False
    for part in split_top(params):
        if part == '*':
            kwarg_only = True
            continue
        args.append(parse_arg(part, kwarg_only))
    ret = ret.strip()
    if ret.startswith('(') and ret.endswith(')'):
        ret = ret[1:-1]
    returns = [parse_arg(r, False) if ' ' in r.strip() else parse_arg(r + ' _', False) for r in split_top(ret)]
    return {'name': s.name[len('aten::'):], 'overload': s.overload_name, 'text': text, 'args': args,
            'returns': [{'type': r['type'], 'write': r['write'], 'name': '' if r['name'] == '_' else r['name']} for r in returns]}


def public(obj):
    return sorted(n for n in dir(obj) if not n.startswith('_') and callable(getattr(obj, n, None)))


def with_dispatch(s):
    # TorchScript also registers some aten names the dispatcher lacks (1.13's aten::numel, aten::get_device)
    out = schema(s)
    out['dispatcher'] = torch._C._dispatch_has_kernel(s.name + ('.' + s.overload_name if s.overload_name else ''))
    return out


schemas = [with_dispatch(s) for s in torch._C._jit_get_all_schemas() if s.name.startswith('aten::')]
json.dump({
    'version': torch.__version__.split('+')[0],
    'schemas': schemas,
    'public': {'tensor': public(torch.Tensor), 'torch': public(torch), 'functional': public(F)},
}, sys.stdout)
