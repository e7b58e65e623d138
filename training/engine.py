"""The training loop (paper 4.1): SGD, warmup + step schedule, feedback sampling.

``train(config, ...)`` runs on one device or, under ``torchrun`` (detected
from ``WORLD_SIZE``), as DistributedDataParallel on every rank; rank 0 logs
and writes checkpoints. A run folder holds ``config.yaml`` (resolved),
``log.csv``, ``loss_curves.png``, ``last.pt`` and ``epoch_XXXX.pt``.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import yaml
from torch import nn
from tqdm import tqdm

from .checkpoint import load_checkpoint, model_payload, save_checkpoint
from .data.augment import TrainTransform
from .data.sampling import FeedbackRule, HardSampleSampler, stitch_batch
from .data.synthetic import SyntheticFaces
from .data.widerface import WiderFaceDataset
from .logs import TrainingLog
from .losses import MultiTaskLoss, build_weighting
from .mining import mine_hard_samples
from .models import MOS, build_model
from .priors import priors
from .targets import build_targets

WARMUP_START_LR = 1e-6  # RetinaFace's warmup starts here


def learning_rate(optim: dict[str, Any], epoch: int, step: int, steps_per_epoch: int) -> float:
    """Linear warmup over ``warmup_epochs``, then /10 at each milestone."""
    warm = optim["warmup_epochs"] * steps_per_epoch
    done = epoch * steps_per_epoch + step
    if done < warm:
        return WARMUP_START_LR + (optim["lr"] - WARMUP_START_LR) * done / warm
    return optim["lr"] * optim["gamma"] ** sum(epoch >= m for m in optim["milestones"])


def build_dataset(data: dict[str, Any], seed: int, *, augment: bool = True):
    """The training set of ``data.kind``; ``load(i)`` gives un-augmented samples."""
    transform = TrainTransform(data["image_size"], seed=seed) if augment else None
    if data["kind"] == "widerface":
        return WiderFaceDataset(data["label_file"], data["image_root"], transform=transform)
    if data["kind"] == "synthetic":
        return SyntheticFaces(
            data["synthetic_images"], size=data["synthetic_size"], seed=seed, transform=transform
        )
    raise ValueError(f"unknown data.kind {data['kind']!r}; expected 'widerface' or 'synthetic'")


def collate(batch: list[tuple[np.ndarray, np.ndarray]]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    images = torch.from_numpy(np.stack([b[0] for b in batch]))
    return images, [torch.from_numpy(b[1]) for b in batch]


def load_backbone_weights(model: MOS, path: str | Path) -> list[str]:
    """ImageNet weights in torchvision's key layout -> ``model.body``; returns unused keys.

    Keys the detector has no use for (``fc``, ``conv5``, ``features.18``,
    ``classifier``) are skipped; any backbone tensor missing or mis-shaped
    raises naming it.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k.removeprefix("module."): v for k, v in state.items()}
    body = model.body.state_dict()
    missing = [k for k in body if k not in state and not k.endswith("num_batches_tracked")]
    if missing:
        raise ValueError(f"{path}: backbone tensors missing: {', '.join(missing[:8])}")
    for key in body:
        if key in state and state[key].shape != body[key].shape:
            raise ValueError(
                f"{path}: {key} has shape {tuple(state[key].shape)}, expected {tuple(body[key].shape)}"
            )
    model.body.load_state_dict({k: state.get(k, v) for k, v in body.items()})
    return sorted(k for k in state if k not in body)


class Distributed:
    """torchrun environment, or a single process."""

    def __init__(self, device: str | None) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and self.world > 1:
            device = f"cuda:{local}"
            torch.cuda.set_device(local)
        self.device = torch.device(device)
        if self.world > 1:
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        self.main = self.rank == 0

    def wrap(self, model: nn.Module) -> nn.Module:
        if self.world == 1:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            dist.all_reduce(values)
            values /= self.world
        return values

    def union(self, indices: list[int]) -> list[int]:
        """All ranks' index lists merged, so every rank samples the same hard set."""
        if self.world == 1:
            return indices
        gathered: list[list[int]] = [[] for _ in range(self.world)]
        dist.all_gather_object(gathered, indices)
        return sorted({i for part in gathered for i in part})

    def close(self) -> None:
        if self.world > 1:
            dist.destroy_process_group()


def train(
    config: dict[str, Any],
    *,
    resume: str | Path | None = None,
    device: str | None = None,
    backbone_weights: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Train per ``config``; returns the path of the last checkpoint."""
    env = Distributed(device)
    cfg_m, cfg_d, cfg_o, cfg_s, cfg_t = (
        config[k] for k in ("model", "data", "optim", "sampling", "train")
    )
    torch.manual_seed(cfg_t["seed"] + env.rank)
    out_dir = Path(cfg_t["out_dir"])
    size = cfg_d["image_size"]

    dataset = build_dataset(cfg_d, cfg_t["seed"] + env.rank)
    sampler = HardSampleSampler(
        len(dataset), seed=cfg_t["seed"], num_replicas=env.world, rank=env.rank
    )
    per_rank_batch = max(1, cfg_o["batch_size"] // env.world)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=per_rank_batch,
        sampler=sampler,
        num_workers=cfg_d["workers"],
        collate_fn=collate,
        drop_last=True,
    )
    if len(loader) == 0:
        raise ValueError(
            f"{len(dataset)} training images cannot fill one batch of {per_rank_batch}"
        )

    model = build_model(cfg_m["arch"], dcn=cfg_m["dcn"], head=cfg_m["head"])
    if backbone_weights is not None:
        load_backbone_weights(model, backbone_weights)
    model.to(env.device)
    weighting = build_weighting(config["loss"]["weighting"]).to(env.device)
    criterion = MultiTaskLoss()
    optimizer = torch.optim.SGD(
        [
            {"params": model.parameters(), "weight_decay": cfg_o["weight_decay"]},
            {
                "params": weighting.parameters(),
                "weight_decay": 0.0,
            },  # learned log-variances: no decay
        ],
        lr=cfg_o["lr"],
        momentum=cfg_o["momentum"],
    )
    feedback = FeedbackRule(cfg_s["feedback_threshold"], enabled=cfg_s["feedback"])
    start_epoch = 0
    if resume is not None:
        state = load_checkpoint(resume)
        model.load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        weighting.load_state_dict(state["weighting"])
        sampler.set_hard(state.get("hard_set", []))
        start_epoch = state["epoch"] + 1
    net = env.wrap(model)
    anchors = priors(size, size)
    log = None
    if env.main:
        out_dir.mkdir(parents=True, exist_ok=True)
        run_info = {
            "config": config,
            "torch": str(torch.__version__),
            "python": platform.python_version(),
            "world_size": env.world,
        }
        (out_dir / "config.yaml").write_text(yaml.safe_dump(run_info, sort_keys=False))
        log = TrainingLog(out_dir)

    last = out_dir / "last.pt"
    for epoch in range(start_epoch, cfg_o["epochs"]):
        net.train()
        sampler.set_epoch(epoch)
        sums = torch.zeros(
            6, device=env.device
        )  # total, cls, box, landmarks, pose, stitched batches
        started = time.time()
        bar = tqdm(
            loader,
            desc=f"epoch {epoch + 1}/{cfg_o['epochs']}",
            disable=not (env.main and progress),
            leave=False,
        )
        for step, (images, faces) in enumerate(bar):
            lr = learning_rate(cfg_o, epoch, step, len(loader))
            for group in optimizer.param_groups:
                group["lr"] = lr
            stitched = feedback.stitch_next
            if stitched:
                images, faces = stitch_batch(images, faces)
            targets = build_targets(faces, anchors, size, size).to(env.device)
            terms = criterion(net(images.to(env.device)), targets)
            loss = weighting(terms)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            feedback.update(terms.small_box_ratio)
            values = [
                loss.detach(),
                terms.cls.detach(),
                terms.box.detach(),
                terms.landmarks.detach(),
                terms.pose.detach(),
            ]
            sums += torch.stack([*values, torch.tensor(float(stitched), device=env.device)])
            bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{lr:.1e}")
        means = env.mean(sums / len(loader)).tolist()

        if cfg_s["hard_mining"]:
            budget = min(len(dataset), cfg_s["mine_max_images"])
            pick = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(epoch))[
                :budget
            ].tolist()
            mined = mine_hard_samples(
                model, dataset, size, pick[env.rank :: env.world], device=env.device
            )
            sampler.set_hard(env.union(mined))
        if env.main:
            row = {
                "epoch": epoch + 1,
                "lr": lr,
                "seconds": time.time() - started,
                "hard_set": len(sampler.hard),
            }
            row.update(
                zip(("total", "cls", "box", "landmarks", "pose", "stitched_fraction"), means)
            )
            log.append(row)
            payload = model_payload(
                model,
                epoch=epoch,
                optimizer=optimizer.state_dict(),
                weighting=weighting.state_dict(),
                config=config,
                hard_set=sampler.hard,
            )
            save_checkpoint(last, payload)
            if (epoch + 1) % cfg_t["save_every"] == 0:
                save_checkpoint(out_dir / f"epoch_{epoch + 1:04d}.pt", payload)
    env.close()
    return last
