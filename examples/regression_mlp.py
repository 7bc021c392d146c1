"""A regression MLP with a validation split, a plateau scheduler and early stopping, with ember.

Written the way PyTorch's examples are: swap the imports for ``import torch`` / ``torch.nn`` /
``torch.utils.data`` and it runs on PyTorch. The data is synthetic and seeded: 8 inputs drawn
uniformly from [-1, 1] and a smooth nonlinear target of five of them plus Gaussian noise of
standard deviation ``--noise`` (so the best possible mean squared error is ``noise**2``).
Training uses Adam, ``ReduceLROnPlateau`` on the validation loss, and stops once the validation
loss has not improved for ``--patience`` epochs, keeping the best weights.

    python examples/regression_mlp.py
    python examples/regression_mlp.py --epochs 2 --max-steps 5   # smoke test
"""

from __future__ import annotations

import argparse
import math
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.optim.lr_scheduler import ReduceLROnPlateau
from ember.utils.data import DataLoader, TensorDataset, random_split


def make_dataset(n, noise, seed):
    """``n`` seeded samples (x, y) with x of shape (8,) and y of shape (1,)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 8, generator=g) * 2 - 1
    y = (torch.sin(math.pi * x[:, 0]) * x[:, 1] + 0.5 * x[:, 2] ** 2 - x[:, 3] * x[:, 4]
         + 0.3 * torch.tanh(3 * x[:, 0] + x[:, 2]))  # fmt: skip
    y = y + noise * torch.randn(n, generator=g)
    return TensorDataset(x, y.unsqueeze(1))


class MLP(nn.Module):
    def __init__(self, in_features=8, hidden=64, depth=2):
        super().__init__()
        layers, width = [], in_features
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def train(model, loader, optimizer, args):
    """One epoch; the mean training loss."""
    model.train()
    total, seen = 0.0, 0
    for batch_idx, (x, y) in enumerate(loader):
        if args.max_steps and batch_idx >= args.max_steps:
            break
        x, y = x.to(args.device), y.to(args.device)
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        seen += len(x)
    return total / seen


@torch.no_grad()
def evaluate(model, loader, device):
    """Mean squared error over the whole loader."""
    model.eval()
    total = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        total += F.mse_loss(model(x), y, reduction="sum").item()
    return total / len(loader.dataset)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="ember: a regression MLP with early stopping")
    p.add_argument("--epochs", type=int, default=150, help="most passes over the training set")
    p.add_argument("--max-steps", type=int, default=0, help="stop each epoch after N batches")
    p.add_argument("--samples", type=int, default=4000, help="dataset size (70/15/15 split)")
    p.add_argument("--noise", type=float, default=0.1, help="std of the noise on the target")
    p.add_argument("--hidden", type=int, default=64, help="hidden units per layer")
    p.add_argument("--depth", type=int, default=2, help="hidden layers")
    p.add_argument("--batch-size", type=int, default=64, help="samples per step")
    p.add_argument("--lr", type=float, default=3e-3, help="initial learning rate")
    p.add_argument("--weight-decay", type=float, default=0.0, help="Adam weight decay")
    p.add_argument("--lr-patience", type=int, default=4, help="ReduceLROnPlateau patience")
    p.add_argument("--patience", type=int, default=10, help="early-stopping patience (epochs)")
    p.add_argument("--seed", type=int, default=1, help="random seed")
    p.add_argument("--log-interval", type=int, default=5, help="epochs between log lines")
    p.add_argument("--device", default="cpu", help="cpu or cuda (needs the gpu extra)")
    p.add_argument("--save", default="", help="where to save the best state_dict (optional)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    dataset = make_dataset(args.samples, args.noise, args.seed)
    n_val = n_test = int(0.15 * len(dataset))
    train_set, val_set, test_set = random_split(
        dataset, [len(dataset) - n_val - n_test, n_val, n_test],
        generator=torch.Generator().manual_seed(args.seed),
    )  # fmt: skip
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=512)
    test_loader = DataLoader(test_set, batch_size=512)
    print(f"{len(train_set)} training, {len(val_set)} validation, {len(test_set)} test samples; "
          f"noise floor (MSE) {args.noise**2:.4f}")  # fmt: skip

    model = MLP(8, args.hidden, args.depth).to(args.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=args.lr_patience)
    best_val, best_epoch, best_state = float("inf"), 0, None
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_loss = train(model, train_loader, optimizer, args)
        val_loss = evaluate(model, val_loader, args.device)
        scheduler.step(val_loss)
        improved = val_loss < best_val
        if improved:
            best_val, best_epoch = val_loss, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if epoch % args.log_interval == 0 or epoch == 1 or epoch == args.epochs:
            lr = optimizer.param_groups[0]["lr"]
            print(f"epoch {epoch:3d} | train loss {train_loss:.4f} | val loss {val_loss:.4f} | "
                  f"lr {lr:.2e}{' *' if improved else ''}")  # fmt: skip
        if epoch - best_epoch >= args.patience:
            print(f"early stopping at epoch {epoch}: no improvement for {args.patience} epochs")
            break
    seconds = time.perf_counter() - start

    model.load_state_dict(best_state)
    test_loss = evaluate(model, test_loader, args.device)
    y = torch.cat([y for _, y in test_loader])
    r2 = 1 - test_loss / y.var(correction=0).item()
    print(f"best val loss {best_val:.4f} at epoch {best_epoch} ({seconds:.1f} s)")
    print(f"test MSE {test_loss:.4f} (noise floor {args.noise**2:.4f}), R^2 {r2:.3f}")
    if args.save:
        torch.save(best_state, args.save)
        print(f"saved {args.save}")
    return test_loss


if __name__ == "__main__":
    main()
