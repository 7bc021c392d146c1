"""Train a small CNN on the bundled 8x8 handwritten digits (UCI, 1,797 images) with ember.

Written the way PyTorch's examples are: with ``import torch`` (and ``torch.nn``,
``torch.optim``, ``torch.utils``) in place of the ember imports it runs on PyTorch, the bundled
data set staying ``ember.vision.datasets.Digits`` (torchvision has no copy of it).

It shows a progress bar per epoch, logs to TensorBoard under ``--out``, saves a checkpoint
PyTorch can load, and plots the training curves.

    python examples/digits.py --epochs 15
    tensorboard --logdir runs
"""

from __future__ import annotations

import argparse
import os
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.optim.lr_scheduler import OneCycleLR
from ember.utils.data import DataLoader
from ember.vision.datasets import Digits


class Net(nn.Module):
    """conv(1->32) - conv(32->64) - maxpool - dropout - fc(1024->128) - dropout - fc(128->10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * 4 * 4, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout1(torch.flatten(x, 1))
        x = self.dropout2(F.relu(self.fc1(x)))
        return self.fc2(x)


def train(model, loader, optimizer, scheduler, epoch, args, writer, step):
    """One epoch; the mean loss and accuracy, and the global step after it."""
    from tqdm import tqdm

    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    bar = tqdm(loader, desc=f"epoch {epoch:2d}", unit="batch", leave=True)
    for data, target in bar:
        data, target = data.to(args.device), target.to(args.device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total_loss += loss.item() * len(target)
        correct += (output.argmax(1) == target).sum().item()
        seen += len(target)
        writer.add_scalar("train/loss", loss.item(), step)
        writer.add_scalar("train/lr", scheduler.get_last_lr()[0], step)
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
        step += 1
    return total_loss / seen, correct / seen, step


@torch.no_grad()
def evaluate(model, loader, device):
    """Mean loss, accuracy, and the misclassified images with their predictions."""
    model.eval()
    total_loss, correct, wrong = 0.0, 0, []
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        output = model(data)
        total_loss += F.cross_entropy(output, target, reduction="sum").item()
        pred = output.argmax(1)
        correct += (pred == target).sum().item()
        miss = (pred != target).nonzero().flatten().tolist()
        wrong += [(data[i], int(pred[i]), int(target[i])) for i in miss]
    n = len(loader.dataset)
    return total_loss / n, correct / n, wrong


def plot_curves(history, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, history["train_loss"], label="train")
    ax1.plot(epochs, history["test_loss"], label="test")
    ax1.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax2.plot(epochs, history["train_acc"], label="train")
    ax2.plot(epochs, history["test_acc"], label="test")
    ax2.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax1, ax2):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="ember: a CNN on the 8x8 handwritten digits")
    p.add_argument("--epochs", type=int, default=15, help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=32, help="images per training step")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (one-cycle)")
    p.add_argument("--seed", type=int, default=1, help="random seed")
    p.add_argument("--device", default="cpu", help="cpu or cuda (needs the gpu extra)")
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--out", default="runs", help="folder for events, checkpoint and plot")
    return p.parse_args(argv)


def main(argv=None):
    from ember.utils.tensorboard import SummaryWriter

    args = parse_args(argv)
    torch.manual_seed(args.seed)
    train_set, test_set = Digits(train=True), Digits(train=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers)  # fmt: skip
    test_loader = DataLoader(test_set, batch_size=256, num_workers=args.workers)
    model = Net().to(args.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                           steps_per_epoch=len(train_loader))  # fmt: skip
    run = os.path.join(args.out, time.strftime("digits-%Y%m%d-%H%M%S"))
    writer = SummaryWriter(run)
    print(f"{len(train_set)} training and {len(test_set)} test images; logging to {run}")

    history = {k: [] for k in ("train_loss", "train_acc", "test_loss", "test_acc")}
    step, start = 0, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_loss, train_acc, step = train(model, train_loader, optimizer, scheduler, epoch,
                                            args, writer, step)  # fmt: skip
        test_loss, test_acc, wrong = evaluate(model, test_loader, args.device)
        for k, v in zip(history, (train_loss, train_acc, test_loss, test_acc)):
            history[k].append(v)
        writer.add_scalar("test/loss", test_loss, epoch)
        writer.add_scalar("test/accuracy", test_acc, epoch)
        writer.add_scalar("train/accuracy", train_acc, epoch)
        for name, p in model.named_parameters():
            writer.add_histogram(name, p, epoch)
        print(f"           test loss {test_loss:.4f}, accuracy {test_acc:.2%}")
    seconds = time.perf_counter() - start

    if wrong:  # the digits it still gets wrong, one row of up to 16
        images = torch.stack([img for img, _, _ in wrong[:16]])
        writer.add_images("test/misclassified", images, args.epochs)
        labels = ", ".join(f"{t}->{p}" for _, p, t in wrong[:16])
        writer.add_text("test/misclassified", f"true->predicted: {labels}", args.epochs)
    writer.add_hparams({"lr": args.lr, "batch_size": args.batch_size, "epochs": args.epochs},
                       {"hparam/test_accuracy": test_acc}, run_name="hparams")  # fmt: skip
    writer.close()

    checkpoint = os.path.join(run, "model.pt")
    torch.save(model.state_dict(), checkpoint)
    plot = os.path.join(run, "curves.png")
    plot_curves(history, plot)
    print(f"\ntest accuracy {test_acc:.2%} after {args.epochs} epochs ({seconds:.1f} s)")
    print(f"TensorBoard events: {run}   plot: {plot}")
    print("load the checkpoint in PyTorch:")
    print("    import torch")
    print(f"    state_dict = torch.load({checkpoint!r})  # then Net().load_state_dict(state_dict)")
    return test_acc


if __name__ == "__main__":
    main()
