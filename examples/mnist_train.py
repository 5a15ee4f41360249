"""Train an MLP or a CNN on MNIST with morch, written as a PyTorch user would write it.

    python examples/mnist_train.py                      # MLP, the default: a few minutes, ~98%
    python examples/mnist_train.py --model cnn          # the PyTorch-example CNN, >= 99%
    python examples/mnist_train.py --quick              # a few batches: a smoke test
    python examples/mnist_train.py --save ck.mpt        # then: --resume ck.mpt --epochs 2

Runs offline: the MNIST files ship in examples/data/mnist (torchvision reads them when it is
installed, morch's own IDX reader otherwise).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import mnist_data
from tqdm import tqdm

import morch as torch
import morch.nn as nn
import morch.nn.functional as F
import morch.optim as optim
from morch.optim.lr_scheduler import StepLR
from morch.utils.data import DataLoader, Subset


class MLP(nn.Module):
    """784-512-256-10 with ReLU and dropout."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        return F.log_softmax(self.fc3(x), dim=1)


class CNN(nn.Module):
    """The network of PyTorch's MNIST example: two convolutions, pooling, dropout, two linear layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


MODELS = {"mlp": MLP, "cnn": CNN}
# per model: optimizer, learning rate, epochs (the defaults that reach the README's accuracies)
DEFAULTS = {"mlp": ("adam", 1e-3, 8), "cnn": ("adadelta", 1.0, 6)}


def make_optimizer(name: str, params, lr: float, momentum: float):
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.Adadelta(params, lr=lr)


def train_epoch(model, loader, optimizer, epoch: int, epochs: int, max_batches: int | None, progress: bool):
    model.train()
    total, seen, start = 0.0, 0, time.perf_counter()
    n = len(loader) if max_batches is None else min(max_batches, len(loader))
    bar = tqdm(total=n, desc=f"epoch {epoch}/{epochs}", unit="batch", disable=not progress, leave=False)
    for i, (data, target) in enumerate(loader):
        if i == n:
            break
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(data)
        seen += len(data)
        bar.set_postfix(loss=f"{loss.item():.4f}", samples_per_s=f"{seen / (time.perf_counter() - start):.0f}")
        bar.update(1)
    bar.close()
    return total / max(seen, 1)


def evaluate(model, loader, max_batches: int | None):
    model.eval()
    loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for i, (data, target) in enumerate(loader):
            if max_batches is not None and i == max_batches:
                break
            output = model(data)
            loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
            seen += len(data)
    return loss / max(seen, 1), correct / max(seen, 1)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Train on MNIST with morch.")
    p.add_argument("--model", choices=sorted(MODELS), default="mlp", help="network (default: mlp)")
    p.add_argument("--epochs", type=int, default=None, help="epochs (default: 8 for mlp, 6 for cnn)")
    p.add_argument("--batch-size", type=int, default=64, help="training batch size (default: 64)")
    p.add_argument("--test-batch-size", type=int, default=1000, help="test batch size (default: 1000)")
    p.add_argument("--optimizer", choices=["sgd", "adam", "adadelta"], default=None,
                   help="default: adam for mlp, adadelta for cnn")  # fmt: skip
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 1e-3 adam, 1.0 adadelta, 0.05 sgd)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default: 0.9)")
    p.add_argument("--gamma", type=float, default=0.7, help="learning-rate decay per epoch (default: 0.7)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    p.add_argument("--data-dir", default=str(mnist_data.DEFAULT_DIR), help="folder with the MNIST IDX .gz files")
    p.add_argument("--no-torchvision", action="store_true", help="use morch's IDX reader even if torchvision is there")
    p.add_argument("--save", metavar="PATH", help="write model and optimizer state here after each epoch")
    p.add_argument("--resume", metavar="PATH", help="continue from a checkpoint written by --save")
    p.add_argument("--quick", action="store_true", help="smoke test: 1 epoch of a few batches")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p.parse_args(argv)


def load_checkpoint(path: str, model_name: str, model, optimizer, scheduler, loader_rng) -> int:
    """Restore states from ``path``; return the epoch to start from. One-line errors for bad files.

    The random streams (dropout masks, shuffling) continue where they stopped, so a resumed run
    does not replay the first epoch's batches with the first epoch's dropout masks.
    """
    try:
        ck = torch.load(path)
    except FileNotFoundError:
        raise SystemExit(f"mnist_train.py: error: --resume {path}: no such file") from None
    except Exception as e:  # a corrupted or foreign file: morch.load says what is wrong
        raise SystemExit(f"mnist_train.py: error: --resume {path}: {e}") from None
    if not isinstance(ck, dict) or "model_state" not in ck:
        raise SystemExit(f"mnist_train.py: error: --resume {path}: not a checkpoint written by mnist_train.py --save")
    if ck.get("model") != model_name:
        raise SystemExit(
            f"mnist_train.py: error: --resume {path}: checkpoint is for model '{ck.get('model')}', not '{model_name}'"
        )
    try:
        model.load_state_dict(ck["model_state"])
        optimizer.load_state_dict(ck["optimizer_state"])
        scheduler.load_state_dict(ck["scheduler_state"])
        if "rng_state" in ck:
            torch.set_rng_state(ck["rng_state"])
            loader_rng.set_state(ck["loader_rng_state"])
    except (KeyError, ValueError, RuntimeError) as e:
        raise SystemExit(f"mnist_train.py: error: --resume {path}: does not fit this model/optimizer: {e}") from None
    return int(ck["epoch"]) + 1


def main(argv=None) -> None:
    args = parse_args(argv)
    opt_name, default_lr, default_epochs = DEFAULTS[args.model]
    opt_name = args.optimizer or opt_name
    lr = args.lr if args.lr is not None else {"adam": 1e-3, "adadelta": 1.0, "sgd": 0.05}[opt_name]
    epochs = 1 if args.quick and args.epochs is None else (args.epochs or default_epochs)
    max_train, max_test = (5, 2) if args.quick else (None, None)
    torch.manual_seed(args.seed)

    try:
        train_set, test_set, source = mnist_data.datasets(args.data_dir, prefer_torchvision=not args.no_torchvision)
    except mnist_data.DataError as e:
        raise SystemExit(f"mnist_train.py: error: {e}") from None
    if args.quick:  # keep the smoke test independent of the dataset's size
        train_set = Subset(train_set, range(args.batch_size * max_train))
    print(f"data: {source}; {len(train_set)} training and {len(test_set)} test images")
    g = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=g)
    test_loader = DataLoader(test_set, batch_size=args.test_batch_size)

    model = MODELS[args.model]()
    optimizer = make_optimizer(opt_name, model.parameters(), lr, args.momentum)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    first = 1
    if args.resume:
        first = load_checkpoint(args.resume, args.model, model, optimizer, scheduler, g)
        print(f"resumed from {args.resume} at epoch {first}")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {args.model} ({n_params:,} parameters), optimizer: {opt_name} lr={lr}, epochs: {epochs}")

    started = time.perf_counter()
    acc = 0.0
    for epoch in range(first, first + epochs):
        t0 = time.perf_counter()
        train_loss = train_epoch(model, train_loader, optimizer, epoch, first + epochs - 1, max_train,
                                 not args.no_progress)  # fmt: skip
        test_loss, acc = evaluate(model, test_loader, max_test)
        scheduler.step()
        print(f"epoch {epoch}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {100 * acc:.2f}%, {time.perf_counter() - t0:.1f} s")  # fmt: skip
        if args.save:
            state = {"model": args.model, "epoch": epoch, "model_state": model.state_dict(),
                     "optimizer_state": optimizer.state_dict(), "scheduler_state": scheduler.state_dict(),
                     "rng_state": torch.get_rng_state(), "loader_rng_state": g.get_state(),
                     "test_accuracy": acc}  # fmt: skip
            directory = os.path.dirname(os.path.abspath(args.save))
            os.makedirs(directory, exist_ok=True)
            torch.save(state, args.save)
    total = time.perf_counter() - started
    print(f"final: model {args.model}, test accuracy {100 * acc:.2f}%, {total:.1f} s for {epochs} epoch(s)"
          + (f", checkpoint {args.save}" if args.save else ""))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
