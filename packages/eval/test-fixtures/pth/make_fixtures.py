# Writes the small .pth fixtures of packages/eval/src/pth/*.test.ts with real PyTorch (run once, by hand, with
# Debian's python3-torch 1.13: `/usr/bin/python3 make_fixtures.py`); the files are committed and CI never runs this.
# Each fixture comes with a JSON of the values PyTorch itself reports (float32, row-major, contiguous), so the tests
# compare the reader against PyTorch, not against our own output.
import collections
import json
import os
import pickle
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)

# A tiny ViT with the official parameter names and PyTorch shapes: img 8, patch 4, 1 channel, D 8, depth 1, MLP 32.
D, P, C, N, H = 8, 4, 1, 4, 32


def backbone():
    sd = collections.OrderedDict()
    sd['cls_token'] = torch.randn(1, 1, D)
    sd['pos_embed'] = torch.randn(1, 1 + N, D)
    sd['patch_embed.proj.weight'] = torch.randn(D, C, P, P)
    sd['patch_embed.proj.bias'] = torch.randn(D)
    # norm1 weight and bias are views of one storage (offset 0 and 8): one storage entry, two tensors.
    both = torch.randn(2 * D)
    sd['blocks.0.norm1.weight'] = both[:D]
    sd['blocks.0.norm1.bias'] = both[D:]
    sd['blocks.0.attn.qkv.weight'] = torch.randn(3 * D, D)
    sd['blocks.0.attn.qkv.bias'] = torch.randn(3 * D)
    # Non-contiguous: a transposed view (strides (1, 8)).
    sd['blocks.0.attn.proj.weight'] = torch.randn(D, D).t()
    sd['blocks.0.attn.proj.bias'] = torch.randn(D)
    sd['blocks.0.norm2.weight'] = torch.randn(D)
    sd['blocks.0.norm2.bias'] = torch.randn(D)
    # Offset + stride: every other row of a larger tensor, starting at row 1.
    sd['blocks.0.mlp.fc1.weight'] = torch.randn(2 * H + 1, D)[1::2]
    sd['blocks.0.mlp.fc1.bias'] = torch.randn(H)
    sd['blocks.0.mlp.fc2.weight'] = torch.randn(D, H)
    sd['blocks.0.mlp.fc2.bias'] = torch.randn(D)
    # One half-precision tensor.
    sd['norm.weight'] = torch.randn(D).half()
    sd['norm.bias'] = torch.randn(D)
    return sd


def head():
    sd = collections.OrderedDict()
    sd['mlp.0.weight'] = torch.randn(6, D).bfloat16()
    sd['mlp.0.bias'] = torch.randn(6)
    sd['last_layer.weight_g'] = torch.ones(5, 1, dtype=torch.float64)
    sd['last_layer.weight_v'] = torch.randn(5, 6)
    return sd


def with_prefix(prefix, sd):
    out = collections.OrderedDict((prefix + k, v) for k, v in sd.items())
    # What nn.Module.state_dict() attaches (pickled through BUILD).
    out._metadata = collections.OrderedDict([('', {'version': 1}), ('backbone', {'version': 1})])
    return out


def expected(sd):
    return {k: {'shape': list(v.shape), 'dtype': str(v.dtype).replace('torch.', ''),
                'values': v.float().contiguous().view(-1).tolist()} for k, v in sd.items()}


def save(name, obj):
    torch.save(obj, os.path.join(HERE, name))


# iBOT's checkpoint.pth layout: the student is wrapped in DistributedDataParallel ('module.backbone.', 'module.head.'),
# the teacher is not ('backbone.', 'head.'); plus the epoch. (The real file also holds 'args', an argparse.Namespace,
# and the optimizer state; the reader refuses the Namespace, see the README.)
t_bb, t_head, s_bb, s_head = backbone(), head(), backbone(), head()
s_bb['masked_embed'] = torch.zeros(1, D)
teacher = with_prefix('backbone.', t_bb)
teacher.update(('head.' + k, v) for k, v in t_head.items())
student = with_prefix('module.backbone.', s_bb)
student.update(('module.head.' + k, v) for k, v in s_head.items())
save('ibot_tiny.pth', {'student': student, 'teacher': teacher, 'epoch': 3, 'ibot_loss': {'center': torch.zeros(1, 5)}})
with open(os.path.join(HERE, 'ibot_tiny.json'), 'w') as f:
    json.dump({'teacher': expected(teacher), 'student': expected(student)}, f)

# DINO's released backbone files (e.g. dino_deitsmall16_pretrain.pth): a bare state dict without prefixes.
dino = backbone()
save('dino_backbone_tiny.pth', dino)
with open(os.path.join(HERE, 'dino_backbone_tiny.json'), 'w') as f:
    json.dump(expected(dino), f)

# Hostile files, as a malicious or unsupported upload would arrive.


class Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def zip_with_pickle(name, data_pkl, extra=()):
    with zipfile.ZipFile(os.path.join(HERE, name), 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', data_pkl)
        z.writestr('archive/version', '3\n')
        for k, v in extra:
            z.writestr(k, v)


# GLOBAL posix.system (what os.system pickles as) + REDUCE.
zip_with_pickle('hostile_os_system.pth', pickle.dumps({'teacher': Evil()}, protocol=2))
# A whole module saved with torch.save(model): GLOBAL torch.nn.modules.linear.Linear, outside the allow-list.
save('hostile_module.pth', {'model': torch.nn.Linear(2, 2)})
# A storage key the zip does not hold: drop archive/data/0 from a valid file.
with zipfile.ZipFile(os.path.join(HERE, 'dino_backbone_tiny.pth')) as src, \
        zipfile.ZipFile(os.path.join(HERE, 'hostile_missing_storage.pth'), 'w', zipfile.ZIP_STORED) as dst:
    for info in src.infolist():
        if not info.filename.endswith('/data/0'):
            dst.writestr(info.filename, src.read(info.filename))
# The same valid file compressed with deflate (torch writes stored entries; a re-zipped file may not).
with zipfile.ZipFile(os.path.join(HERE, 'dino_backbone_tiny.pth')) as src, \
        zipfile.ZipFile(os.path.join(HERE, 'dino_backbone_tiny_deflate.pth'), 'w', zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))

# A full training checkpoint as main_ibot.py saves it: the networks plus 'args' (an argparse.Namespace, pickled with
# NEWOBJ + BUILD) and the optimizer state (ints, floats, tuples, lists, int keys). Read only with namespaces: true.
import argparse  # noqa: E402
lin = torch.nn.Linear(2, 3)
opt = torch.optim.AdamW(lin.parameters(), lr=5e-4)
lin(torch.randn(4, 2)).sum().backward()
opt.step()
args = argparse.Namespace(arch='vit_tiny', patch_size=4, out_dim=5, lr=0.0005, use_fp16=True,
                          global_crops_scale=(0.14, 1.0), pred_shape='block')
save('ibot_full_tiny.pth', {'student': student, 'teacher': teacher, 'optimizer': opt.state_dict(), 'epoch': 3,
                            'args': args})
with open(os.path.join(HERE, 'ibot_full_tiny.json'), 'w') as f:
    json.dump({'args': vars(args), 'exp_avg': expected({'w': opt.state_dict()['state'][0]['exp_avg']})['w'],
               'param_groups': opt.state_dict()['param_groups']}, f)

print('torch', torch.__version__)
for f in sorted(os.listdir(HERE)):
    print(f, os.path.getsize(os.path.join(HERE, f)))
