"""The training loop (paper 4.1): SGD, warmup + step schedule, online feedback.

``train(config, ...)`` runs on one device or, under ``torchrun`` (detected
from ``WORLD_SIZE``), as DistributedDataParallel on every rank; rank 0 logs
and writes checkpoints. A run folder holds ``config.yaml`` (resolved),
``log.csv``, ``loss_curves.png``, ``last.pt`` and ``epoch_XXXX.pt``.

Steps: ``setup`` (data, model, optimiser), ``restore`` (resume),
``train_epoch``, ``mine`` (hard samples), ``write_checkpoint``.
"""

from __future__ import annotations

import platform
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import nn
from tqdm import tqdm

from .checkpoint import load_checkpoint, model_payload, save_checkpoint
from .data.sampling import FeedbackBatchSampler, FeedbackRule, HardSampleSampler
from .data.synthetic import SyntheticFaces
from .data.training_set import TrainingSet
from .data.widerface import WiderFaceDataset
from .distributed import Distributed
from .logs import TrainingLog
from .losses import MultiTaskLoss, build_weighting
from .mining import mine_hard_samples
from .models import MOS, build_model
from .priors import priors
from .targets import build_targets
from .trunk import load_backbone_weights, resolve_trunk_weights

WARMUP_START_LR = 1e-6  # RetinaFace's warmup starts here
SUMMED = ("total", "cls", "box", "landmarks", "pose", "stitched_fraction")


def learning_rate(optim: dict[str, Any], epoch: int, step: int, steps_per_epoch: int) -> float:
    """Linear warmup over ``warmup_epochs``, then /10 at each milestone."""
    warm = optim["warmup_epochs"] * steps_per_epoch
    done = epoch * steps_per_epoch + step
    if done < warm:
        return WARMUP_START_LR + (optim["lr"] - WARMUP_START_LR) * done / warm
    return optim["lr"] * optim["gamma"] ** sum(epoch >= m for m in optim["milestones"])


def build_source(data: dict[str, Any], seed: int):
    """The un-augmented images of ``data.kind`` (``load(i) -> (image, faces)``)."""
    if data["kind"] == "widerface":
        return WiderFaceDataset(data["label_file"], data["image_root"])
    if data["kind"] == "synthetic":
        return SyntheticFaces(data["synthetic_images"], size=data["synthetic_size"], seed=seed)
    raise ValueError(f"unknown data.kind {data['kind']!r}; expected 'widerface' or 'synthetic'")


def collate(
    batch: list[tuple[np.ndarray, np.ndarray, bool]],
) -> tuple[torch.Tensor, list[torch.Tensor], bool]:
    """Images (B, 3, S, S), faces per image, and whether the batch is stitched."""
    images = torch.from_numpy(np.stack([b[0] for b in batch]))
    return images, [torch.from_numpy(b[1]) for b in batch], any(b[2] for b in batch)


@dataclass
class Run:
    """Everything one training run holds between steps."""

    config: dict[str, Any]
    env: Distributed
    dataset: TrainingSet
    sampler: HardSampleSampler
    loader: torch.utils.data.DataLoader
    model: MOS
    net: nn.Module  # the model, DDP-wrapped when distributed
    weighting: nn.Module
    optimizer: torch.optim.Optimizer
    feedback: FeedbackRule
    anchors: torch.Tensor
    out_dir: Path
    start_epoch: int = 0


def setup(
    config: dict[str, Any],
    *,
    device: str | None,
    backbone_weights: str | Path | None,
    from_scratch: bool,
) -> Run:
    env = Distributed(device)
    cfg_m, cfg_d, cfg_o, cfg_s, cfg_t = (
        config[k] for k in ("model", "data", "optim", "sampling", "train")
    )
    trunk = resolve_trunk_weights(
        backbone_weights or cfg_m["backbone_weights"], from_scratch=from_scratch
    )
    torch.manual_seed(cfg_t["seed"] + env.rank)
    size = cfg_d["image_size"]
    dataset = TrainingSet(
        build_source(cfg_d, cfg_t["seed"]), size, seed=cfg_t["seed"], rank=env.rank
    )
    sampler = HardSampleSampler(
        len(dataset), seed=cfg_t["seed"], num_replicas=env.world, rank=env.rank
    )
    feedback = FeedbackRule(cfg_s["feedback_threshold"], enabled=cfg_s["feedback"])
    per_rank_batch = max(1, cfg_o["batch_size"] // env.world)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_sampler=FeedbackBatchSampler(sampler, per_rank_batch, feedback),
        num_workers=cfg_d["workers"],
        collate_fn=collate,
        worker_init_fn=dataset.seed_worker,
    )
    if len(loader) == 0:
        raise ValueError(
            f"{len(dataset)} training images cannot fill one batch of {per_rank_batch}"
        )
    model = build_model(cfg_m["arch"], dcn=cfg_m["dcn"], head=cfg_m["head"])
    if trunk is not None:
        load_backbone_weights(model, trunk)
    model.to(env.device)
    weighting = build_weighting(config["loss"]["weighting"]).to(env.device)
    optimizer = torch.optim.SGD(
        [
            {"params": model.parameters(), "weight_decay": cfg_o["weight_decay"]},
            # learned log-variances: no decay
            {"params": weighting.parameters(), "weight_decay": 0.0},
        ],
        lr=cfg_o["lr"],
        momentum=cfg_o["momentum"],
    )
    return Run(
        config, env, dataset, sampler, loader, model, env.wrap(model), weighting, optimizer,
        feedback, priors(size, size), Path(cfg_t["out_dir"]),
    )  # fmt: skip


def restore(run: Run, path: str | Path) -> None:
    """Continue from a checkpoint: weights, optimiser, hard set, feedback state, torch RNG.

    The data streams need no state: they derive from (seed, rank, epoch, worker).
    """
    state = load_checkpoint(path)
    run.model.load_state_dict(state["state_dict"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.weighting.load_state_dict(state["weighting"])
    run.sampler.set_hard(Counter(state.get("hard_set", [])))
    run.feedback.stitch_next = bool(state.get("stitch_next", False))
    if "torch_rng" in state:
        torch.set_rng_state(state["torch_rng"])
    run.start_epoch = state["epoch"] + 1


def train_epoch(run: Run, epoch: int, *, progress: bool) -> dict[str, float]:
    """One pass over the sampler; returns the epoch's mean loss terms and last lr."""
    cfg_o, size = run.config["optim"], run.config["data"]["image_size"]
    run.net.train()
    run.sampler.set_epoch(epoch)
    run.dataset.set_epoch(epoch)
    sums = torch.zeros(len(SUMMED), device=run.env.device)
    bar = tqdm(
        run.loader,
        desc=f"epoch {epoch + 1}/{cfg_o['epochs']}",
        disable=not (run.env.main and progress),
        leave=False,
    )
    lr = cfg_o["lr"]
    for step, (images, faces, stitched) in enumerate(bar):
        lr = learning_rate(cfg_o, epoch, step, len(run.loader))
        for group in run.optimizer.param_groups:
            group["lr"] = lr
        targets = build_targets(faces, run.anchors, size, size).to(run.env.device)
        terms = MultiTaskLoss()(run.net(images.to(run.env.device)), targets)
        loss = run.weighting(terms)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        run.optimizer.step()
        run.feedback.update(terms.small_box_ratio)
        parts = (loss, terms.cls, terms.box, terms.landmarks, terms.pose)
        sums += torch.stack(
            [*(p.detach() for p in parts), torch.tensor(float(stitched), device=sums.device)]
        )
        bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{lr:.1e}")
    means = run.env.mean(sums / len(run.loader)).tolist()
    return {"lr": lr, **dict(zip(SUMMED, means))}


def mine(run: Run, epoch: int) -> None:
    """Test the model on the training set (or a random subset) and refill the hard set S."""
    cfg_s, size = run.config["sampling"], run.config["data"]["image_size"]
    n = len(run.dataset)
    budget = n if cfg_s["mine_max_images"] is None else min(n, cfg_s["mine_max_images"])
    pick = torch.randperm(n, generator=torch.Generator().manual_seed(epoch))[:budget].tolist()
    counts = mine_hard_samples(
        run.model,
        run.dataset,
        size,
        pick[run.env.rank :: run.env.world],
        max_copies=cfg_s["hard_max_copies"],
        device=run.env.device,
    )
    run.sampler.set_hard(run.env.union(counts))


def write_checkpoint(run: Run, epoch: int) -> None:
    payload = model_payload(
        run.model,
        epoch=epoch,
        optimizer=run.optimizer.state_dict(),
        weighting=run.weighting.state_dict(),
        config=run.config,
        hard_set=run.sampler.hard,
        stitch_next=run.feedback.stitch_next,
        torch_rng=torch.get_rng_state(),
    )
    save_checkpoint(run.out_dir / "last.pt", payload)
    if (epoch + 1) % run.config["train"]["save_every"] == 0:
        save_checkpoint(run.out_dir / f"epoch_{epoch + 1:04d}.pt", payload)


def open_log(run: Run) -> TrainingLog:
    run.out_dir.mkdir(parents=True, exist_ok=True)
    run_info = {
        "config": run.config,
        "torch": str(torch.__version__),
        "python": platform.python_version(),
        "world_size": run.env.world,
    }
    (run.out_dir / "config.yaml").write_text(yaml.safe_dump(run_info, sort_keys=False))
    return TrainingLog(run.out_dir)


def train(
    config: dict[str, Any],
    *,
    resume: str | Path | None = None,
    device: str | None = None,
    backbone_weights: str | Path | None = None,
    from_scratch: bool = False,
    progress: bool = True,
) -> Path:
    """Train per ``config``; returns the path of the last checkpoint."""
    run = setup(config, device=device, backbone_weights=backbone_weights, from_scratch=from_scratch)
    if resume is not None:
        restore(run, resume)
    log = open_log(run) if run.env.main else None
    for epoch in range(run.start_epoch, config["optim"]["epochs"]):
        started = time.time()
        row = train_epoch(run, epoch, progress=progress)
        if config["sampling"]["hard_mining"]:
            mine(run, epoch)
        if log is not None:
            log.append(
                {"epoch": epoch + 1, "seconds": time.time() - started,
                 "hard_set": len(run.sampler.hard), **row}
            )  # fmt: skip
            write_checkpoint(run, epoch)
    run.env.close()
    return run.out_dir / "last.pt"
