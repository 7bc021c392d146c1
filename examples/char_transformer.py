"""A character-level Transformer language model trained on a small public-domain text, with ember.

Written the way PyTorch's examples are: swap the imports for ``import torch`` / ``torch.nn`` and
it runs on PyTorch. A stack of ``nn.TransformerEncoderLayer`` blocks with a causal mask learns to
predict the next character of ``examples/data/public_domain.txt`` (the Gettysburg Address and
three Shakespeare sonnets); every ``--eval-every`` steps it prints the training and validation
loss and a sample drawn with temperature sampling.

    python examples/char_transformer.py
    python examples/char_transformer.py --steps 5 --eval-every 5 --sample-len 20   # smoke test
"""

from __future__ import annotations

import argparse
import math
import os
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "public_domain.txt")


class Corpus:
    """The text as one long tensor of character ids, split into training and validation parts."""

    def __init__(self, path, val_fraction=0.1):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        data = torch.tensor(self.encode(text), dtype=torch.long)
        n_val = int(len(data) * val_fraction)
        self.train, self.val = data[: len(data) - n_val], data[len(data) - n_val :]

    def encode(self, s):
        return [self.stoi[c] for c in s]

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)


def get_batch(data, block_size, batch_size, device):
    """``batch_size`` random windows of the text, and the same windows shifted by one."""
    starts = torch.randint(len(data) - block_size - 1, (batch_size,))
    x = torch.stack([data[i : i + block_size] for i in starts.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + block_size] for i in starts.tolist()])
    return x.to(device), y.to(device)


class CharTransformer(nn.Module):
    """Token + position embeddings, pre-norm Transformer blocks (causal mask), a linear head."""

    def __init__(self, vocab_size, block_size, d_model, nhead, num_layers, dropout):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.drop = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward=4 * d_model, dropout=dropout,
            batch_first=True, norm_first=True,
        )  # fmt: skip
        self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx):
        t = idx.size(1)
        pos = torch.arange(t, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        # -inf above the diagonal: position i may only attend to positions <= i
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=idx.device)
        x = self.blocks(x, mask=mask, is_causal=True)
        return self.head(self.norm(x))

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0):
        """Extend ``idx`` (batch, time) by sampling one character at a time."""
        for _ in range(max_new_tokens):
            logits = self(idx[:, -self.block_size :])[:, -1, :] / temperature
            probs = F.softmax(logits, dim=-1)
            next_id = torch.multinomial(probs, num_samples=1)
            idx = torch.cat([idx, next_id], dim=1)
        return idx


@torch.no_grad()
def estimate_loss(model, corpus, args):
    """Mean cross-entropy over ``--eval-batches`` random batches of each split."""
    model.eval()
    out = {}
    for split, data in (("train", corpus.train), ("val", corpus.val)):
        losses = []
        for _ in range(args.eval_batches):
            x, y = get_batch(data, args.block_size, args.batch_size, args.device)
            logits = model(x)
            losses.append(F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1)).item())
        out[split] = sum(losses) / len(losses)
    model.train()
    return out


def sample(model, corpus, args):
    prompt = torch.tensor([corpus.encode(args.prompt)], dtype=torch.long, device=args.device)
    model.eval()
    ids = model.generate(prompt, args.sample_len, temperature=args.temperature)[0].tolist()
    model.train()
    return corpus.decode(ids)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="ember: a character-level Transformer language model")
    p.add_argument("--data", default=DATA, help="a plain-text file to learn")
    p.add_argument("--steps", type=int, default=600, help="optimizer steps")
    p.add_argument("--batch-size", type=int, default=32, help="windows per step")
    p.add_argument("--block-size", type=int, default=48, help="context length in characters")
    p.add_argument("--d-model", type=int, default=64, help="embedding width")
    p.add_argument("--nhead", type=int, default=4, help="attention heads")
    p.add_argument("--layers", type=int, default=2, help="Transformer blocks")
    p.add_argument("--dropout", type=float, default=0.1, help="dropout probability")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (cosine decay)")
    p.add_argument("--clip", type=float, default=1.0, help="gradient-norm clipping threshold")
    p.add_argument("--eval-every", type=int, default=100, help="steps between reports")
    p.add_argument("--eval-batches", type=int, default=4, help="batches per loss estimate")
    p.add_argument("--sample-len", type=int, default=120, help="characters per sample")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    p.add_argument("--prompt", default="Four score", help="text the samples start from")
    p.add_argument("--seed", type=int, default=1, help="random seed")
    p.add_argument("--device", default="cpu", help="cpu or cuda (needs the gpu extra)")
    p.add_argument("--save", default="", help="where to save the final state_dict (optional)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    corpus = Corpus(args.data)
    vocab = len(corpus.chars)
    model = CharTransformer(vocab, args.block_size, args.d_model, args.nhead, args.layers,
                            args.dropout).to(args.device)  # fmt: skip
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(corpus.train)} training and {len(corpus.val)} validation characters, "
          f"vocabulary {vocab}, {n_params} parameters")  # fmt: skip
    print(f"a uniform guess scores {math.log(vocab):.3f} nats per character")

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps,
                                                           eta_min=args.lr / 10)  # fmt: skip
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = get_batch(corpus.train, args.block_size, args.batch_size, args.device)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, vocab), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        scheduler.step()
        if step % args.eval_every == 0 or step == args.steps:
            losses = estimate_loss(model, corpus, args)
            elapsed = time.perf_counter() - start
            print(f"step {step:4d} | train loss {losses['train']:.3f} | "
                  f"val loss {losses['val']:.3f} | lr {scheduler.get_last_lr()[0]:.2e} | "
                  f"{elapsed:.1f} s")  # fmt: skip
            print("sample: " + repr(sample(model, corpus, args)))
    if args.save:
        torch.save(model.state_dict(), args.save)
        print(f"saved {args.save}")
    return losses


if __name__ == "__main__":
    main()
