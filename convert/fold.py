"""Fold the linear parts of a MOS model before export (exact, in float64).

- BN after a conv (plain or DCN) goes into that conv's weight and bias.
- Per level, the stitch 1x1 convs and the cross-stitch unit are linear in the
  SSH output x: task i sees ``M_i x + c_i`` with
  ``M_i = sum_j diag(w[i, j]) W_j`` and ``c_i = sum_j w[i, j] * b_j``.
  The box / cls / landmark 1x1 heads compose with it into one 1x1 conv each.
- A per-angle pose head's 3x3 conv (+BN) composes with ``M_i`` too. Its zero
  padding pads ``M_i x + c_i``, not x, so near the border the folded bias
  ``K * c_i`` would be wrong: the constant ``c_i`` instead enters as an extra
  input channel of ones (zero-padded like everything else), which makes the
  fold exact everywhere.
- mos-tiny's shared pose trunk starts with a depthwise 3x3: folding a dense
  1x1 into it would make it a dense 3x3 (more work), so its task input stays
  one folded 1x1 conv.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..training.models import MOS
from ..training.models.dcn import ModulatedDeformConv2d
from ..training.models.heads import POSE_BINS, MultiTaskHead, flatten_nhwc
from ..training.models.neck import ConvBNAct
from .deform import DeployDeformConv

Affine = tuple[torch.Tensor, torch.Tensor]  # (out, in[, kh, kw]) weight, (out,) bias; float64


def _bn_scale_shift(bn: nn.BatchNorm2d) -> Affine:
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    return scale, bn.bias.double() - bn.running_mean.double() * scale


def _conv_with_bn(weight: torch.Tensor, bias: torch.Tensor | None, bn: nn.BatchNorm2d) -> Affine:
    scale, shift = _bn_scale_shift(bn)
    folded_bias = shift if bias is None else bias.double() * scale + shift
    return weight.double() * scale.view(-1, 1, 1, 1), folded_bias


def _conv2d(weight: torch.Tensor, bias: torch.Tensor, like: nn.Conv2d) -> nn.Conv2d:
    """A float32 conv with ``like``'s geometry and the given (folded) parameters."""
    conv = nn.Conv2d(
        weight.shape[1] * like.groups,
        weight.shape[0],
        weight.shape[2:],
        like.stride,
        like.padding,
        like.dilation,
        like.groups,
        bias=True,
    )
    with torch.no_grad():
        conv.weight.copy_(weight.float())
        conv.bias.copy_(bias.float())
    return conv.requires_grad_(False)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Fold every conv -> BN pair in place (``ConvBNAct`` and ``Sequential`` neighbours).

    DCN convs become ``DeployDeformConv`` (the form pnnx maps to DeformableConv2D).
    """
    for module in list(model.modules()):
        if isinstance(module, ConvBNAct) and isinstance(module.bn, nn.BatchNorm2d):
            module.conv = _folded_conv(module.conv, module.bn)
            module.bn = nn.Identity()
        elif isinstance(module, nn.Sequential):
            for i in range(len(module) - 1):
                conv, bn = module[i], module[i + 1]
                if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                    module[i] = _folded_conv(conv, bn)
                    module[i + 1] = nn.Identity()
    return model


def _folded_conv(conv: nn.Module, bn: nn.BatchNorm2d) -> nn.Module:
    weight, bias = _conv_with_bn(conv.weight, conv.bias, bn)
    if isinstance(conv, ModulatedDeformConv2d):
        return DeployDeformConv(conv, weight.float(), bias.float())
    return _conv2d(weight, bias, conv)


def _task_inputs(head: MultiTaskHead, channels: int) -> list[Affine]:
    """(M_i, c_i) per task: what task i sees as an affine map of the SSH output."""
    if not head.stitched:
        eye = torch.eye(channels, dtype=torch.float64)
        return [(eye, torch.zeros(channels, dtype=torch.float64)) for _ in head.tasks]
    stitch = head.cross_stitch.weight.double()  # (T, T, C)
    convs = [(c.weight.double()[:, :, 0, 0], c.bias.double()) for c in head.stitch_convs]
    return [
        (
            sum(stitch[i, j].view(-1, 1) * w for j, (w, _) in enumerate(convs)),
            sum(stitch[i, j] * b for j, (_, b) in enumerate(convs)),
        )
        for i in range(len(head.tasks))
    ]


def _compose_1x1(conv: nn.Conv2d, task: Affine) -> nn.Conv2d:
    """1x1 conv applied to ``M x + c`` as one 1x1 conv of x."""
    matrix, offset = task
    weight = conv.weight.double()[:, :, 0, 0]
    return _conv2d((weight @ matrix)[:, :, None, None], weight @ offset + conv.bias.double(), conv)


def _affine_as_conv(task: Affine) -> nn.Conv2d:
    matrix, offset = task
    like = nn.Conv2d(matrix.shape[1], matrix.shape[0], 1)
    return _conv2d(matrix[:, :, None, None], offset, like)


class FoldedPose3x3(nn.Module):
    """conv3x3(+BN) of ``M x + c`` computed exactly from x (see the module docstring)."""

    def __init__(self, conv_bn: ConvBNAct, task: Affine) -> None:
        super().__init__()
        matrix, offset = task
        weight, bias = _conv_with_bn(conv_bn.conv.weight, conv_bn.conv.bias, conv_bn.bn)
        folded = torch.einsum("pctu,cd->pdtu", weight, matrix)
        # The ones channel carries c; skip it when c is zero (hard-connection head).
        self.with_ones = bool(offset.abs().max() > 0)
        if self.with_ones:
            ones_weight = torch.einsum("pctu,c->ptu", weight, offset)[:, None]
            folded = torch.cat((folded, ones_weight), dim=1)
        self.conv = _conv2d(folded, bias, conv_bn.conv)
        self.act = conv_bn.act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.with_ones:
            # x * 0 + 1 rather than ones_like: plain BinaryOps in ncnn, any input size.
            x = torch.cat((x, x[:, :1] * 0.0 + 1.0), dim=1)
        return self.act(self.conv(x))


class FoldedHead(nn.Module):
    """A ``MultiTaskHead`` with stitch convs, cross-stitch and 1x1 heads folded."""

    def __init__(self, head: MultiTaskHead, channels: int) -> None:
        super().__init__()
        tasks = _task_inputs(head, channels)
        self.box_head = _compose_1x1(head.box_head, tasks[0])
        self.cls_head = _compose_1x1(head.cls_head, tasks[1])
        self.landmark_head = _compose_1x1(head.landmark_head, tasks[2])
        self.shared_pose = len(tasks) == 4
        if self.shared_pose:
            self.pose_input = _affine_as_conv(tasks[3])
            self.pose_trunk = head.pose_trunk  # its BNs fold with the rest of the model
            self.pose_convs = nn.ModuleList(nn.Identity() for _ in head.pose_heads)
        else:
            self.pose_convs = nn.ModuleList(
                FoldedPose3x3(pose.conv3x3, task) for pose, task in zip(head.pose_heads, tasks[3:])
            )
        self.pose_outputs = nn.ModuleList(copy.deepcopy(p.conv1x1) for p in head.pose_heads)

    def detection_outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(loc, cls, landmarks) without the pose branches (the sparse graph's outputs)."""
        return (
            flatten_nhwc(self.box_head(x), 4),
            flatten_nhwc(self.cls_head(x), 2),
            flatten_nhwc(self.landmark_head(x), 10),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.shared_pose:
            trunk = self.pose_trunk(self.pose_input(x))
            pose = [out(trunk) for out in self.pose_outputs]
        else:
            pose = [out(conv(x)) for conv, out in zip(self.pose_convs, self.pose_outputs)]
        return (*self.detection_outputs(x), *(flatten_nhwc(p, POSE_BINS) for p in pose))


def fold_linear_heads(model: MOS) -> MOS:
    """A folded copy of ``model`` for export (same forward, fewer layers); ``model`` is untouched."""
    folded = copy.deepcopy(model).eval()
    channels = folded.ssh[0].branch_a.conv.weight.shape[1]
    with torch.no_grad():
        folded.heads = nn.ModuleList(FoldedHead(head, channels) for head in folded.heads)
        fold_batchnorm(folded)
    return folded.requires_grad_(False)


def fp16_weight_reference(model: MOS, *, graph_only: bool = False) -> MOS:
    """The folded model with every convolution weight rounded to fp16, as ``--fp16`` stores them.

    pnnx writes convolution (and deformable convolution) weights as fp16 and
    biases as fp32; ncnn widens the weights back to fp32 at load. pnnx rounds to
    nearest and flushes values below fp16's smallest normal (2**-14) to zero
    (checked against its .bin). This torch model computes exactly that, so the
    fp16 gate checks the conversion. ``graph_only``: the pose layers stay fp32, as
    a sparse conversion stores them outside the graph (convert/sparse_pose.py).
    """
    rounded = fold_linear_heads(model)
    with torch.no_grad():
        for name, parameter in rounded.named_parameters():
            if graph_only and ".pose_" in name:
                continue
            if name.endswith("weight") and parameter.dim() == 4:
                flushed = torch.where(parameter.abs() < 2.0**-14, 0.0, parameter)
                parameter.copy_(flushed.half().float())
    return rounded
