"""An LSTM that classifies variable-length digit sequences, with ember.

Written the way PyTorch's examples are: swap the imports for ``import torch`` / ``torch.nn`` /
``torch.utils.data`` and it runs on PyTorch. The task is synthetic and seeded: each sequence is
4 to 32 random digits, and its label says whether it has more *high* digits (5-9) than *low*
ones (0-4); ties are left out. Getting it right needs exact counting up to the last real step,
so the batches are padded with ``pad_sequence`` and fed through the LSTM with
``pack_padded_sequence``: the padding never reaches the recurrent state.

    python examples/lstm_classifier.py
    python examples/lstm_classifier.py --epochs 1 --max-steps 5   # smoke test
"""

from __future__ import annotations

import argparse
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.utils.rnn import pack_padded_sequence, pad_sequence
from ember.utils.data import DataLoader, Dataset

PAD = 0  # token 0 is padding; digit d is token d + 1


class MajorityDigits(Dataset):
    """``size`` seeded digit sequences, label 1 where high digits (5-9) outnumber low ones."""

    def __init__(self, size, min_len=4, max_len=32, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.samples = []
        while len(self.samples) < size:
            n = int(torch.randint(min_len, max_len + 1, (1,), generator=g))
            digits = torch.randint(0, 10, (n,), generator=g)
            high = int((digits >= 5).sum())
            if 2 * high == n:  # a tie has no answer
                continue
            self.samples.append((digits + 1, int(2 * high > n)))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        return self.samples[i]


def collate(batch):
    """Pad a list of (tokens, label) pairs into (batch, max_len) and keep the true lengths."""
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(list(seqs), batch_first=True, padding_value=PAD)
    return padded, lengths, torch.tensor(labels)


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes, num_layers=1):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens, lengths):
        x = self.embed(tokens)
        # lengths must live on the CPU; the batch need not be sorted by length
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        # h_n[-1] is the last layer's state after each sequence's own last real step
        return self.fc(h_n[-1])


def train(model, loader, optimizer, epoch, args):
    model.train()
    for batch_idx, (tokens, lengths, target) in enumerate(loader):
        if args.max_steps and batch_idx >= args.max_steps:
            break
        tokens, target = tokens.to(args.device), target.to(args.device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tokens, lengths), target)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(target)}/{len(loader.dataset)}]"
                  f"\tLoss: {loss.item():.6f}")  # fmt: skip


@torch.no_grad()
def test(model, loader, args):
    model.eval()
    total_loss, correct = 0.0, 0
    for tokens, lengths, target in loader:
        tokens, target = tokens.to(args.device), target.to(args.device)
        output = model(tokens, lengths)
        total_loss += F.cross_entropy(output, target, reduction="sum").item()
        correct += (output.argmax(dim=1) == target).sum().item()
    n = len(loader.dataset)
    print(f"Test set: Average loss: {total_loss / n:.4f}, "
          f"Accuracy: {correct}/{n} ({correct / n:.2%})")  # fmt: skip
    return correct / n


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="ember: an LSTM classifying variable-length sequences")
    p.add_argument("--epochs", type=int, default=4, help="passes over the training set")
    p.add_argument("--max-steps", type=int, default=0, help="stop each epoch after N batches")
    p.add_argument("--train-size", type=int, default=3000, help="training sequences")
    p.add_argument("--test-size", type=int, default=1000, help="test sequences")
    p.add_argument("--batch-size", type=int, default=32, help="sequences per step")
    p.add_argument("--hidden-size", type=int, default=48, help="LSTM hidden units")
    p.add_argument("--lr", type=float, default=1e-2, help="learning rate")
    p.add_argument("--gamma", type=float, default=0.7, help="StepLR decay per epoch")
    p.add_argument("--clip", type=float, default=1.0, help="gradient-norm clipping threshold")
    p.add_argument("--seed", type=int, default=1, help="random seed")
    p.add_argument("--log-interval", type=int, default=25, help="batches between log lines")
    p.add_argument("--device", default="cpu", help="cpu or cuda (needs the gpu extra)")
    p.add_argument("--save", default="", help="where to save the final state_dict (optional)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    train_set = MajorityDigits(args.train_size, seed=args.seed)
    test_set = MajorityDigits(args.test_size, seed=args.seed + 1000)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate)  # fmt: skip
    test_loader = DataLoader(test_set, batch_size=256, collate_fn=collate)
    model = LSTMClassifier(11, 16, args.hidden_size, 2).to(args.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args.gamma)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train(model, train_loader, optimizer, epoch, args)
        accuracy = test(model, test_loader, args)
        scheduler.step()
    print(f"final test accuracy {accuracy:.2%} ({time.perf_counter() - start:.1f} s)")
    if args.save:
        torch.save(model.state_dict(), args.save)
        print(f"saved {args.save}")
    return accuracy


if __name__ == "__main__":
    main()
