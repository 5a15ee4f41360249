"""Whole training recipes written as PyTorch code (``import morch as torch``) that combine many
features at once: they must run unchanged and learn. Each is small (well under a second)."""

from __future__ import annotations

import morch as torch
import morch.nn as nn
import morch.nn.functional as F
from morch.utils.data import DataLoader, TensorDataset


def test_cnn_with_batchnorm_checkpoint_onecycle_and_gradscaler():
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
            )  # fmt: skip
            self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, 10))

        def forward(self, x):
            return self.head(torch.utils.checkpoint.checkpoint(self.features, x, use_reentrant=False))

    x, y = torch.randn(64, 1, 12, 12), torch.randint(0, 10, (64,))
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    model = Net()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=40)
    scaler = torch.amp.GradScaler("cpu")
    losses = []
    for _ in range(10):
        for xb, yb in loader:
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
            if sched.last_epoch < 39:
                sched.step()
            losses.append(loss.item())
    assert sum(losses[-4:]) / 4 < losses[0] - 0.2
    model.eval()
    with torch.inference_mode():
        assert (model(x).argmax(1) == y).float().mean().item() > 0.3  # chance is 0.1


def test_causal_transformer_language_model_with_tied_weights():
    torch.manual_seed(0)
    vocab, d, t = 20, 32, 12

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, d)
            self.pos = nn.Parameter(torch.zeros(1, t, d))
            layer = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.0, batch_first=True, norm_first=True)
            self.enc = nn.TransformerEncoder(layer, 2)
            self.out = nn.Linear(d, vocab, bias=False)
            self.out.weight = self.emb.weight

        def forward(self, ids):
            h = self.emb(ids) + self.pos[:, : ids.shape[1]]
            mask = nn.Transformer.generate_square_subsequent_mask(ids.shape[1])
            return self.out(self.enc(h, mask=mask, is_causal=True))

    seq = torch.arange(t + 1).repeat(8, 1) % vocab
    lm = LM()
    assert len(list(lm.parameters())) == len({id(p) for p in lm.parameters()})  # the tied weight counts once
    opt = torch.optim.Adam(lm.parameters(), lr=3e-3)
    warm = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 5))
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(lm(seq[:, :-1]).reshape(-1, vocab), seq[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        warm.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


def test_packed_bidirectional_lstm_classifier():
    from morch.nn.utils.rnn import pack_padded_sequence, pad_sequence

    torch.manual_seed(0)
    seqs = [torch.randn(int(n), 5) for n in torch.randint(2, 9, (16,))]
    labels = torch.tensor([int(s.sum() > 0) for s in seqs])
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(seqs, batch_first=True)
    rnn = nn.LSTM(5, 16, num_layers=2, batch_first=True, bidirectional=True, proj_size=8)
    head = nn.Linear(16, 2)
    opt = torch.optim.RMSprop(list(rnn.parameters()) + list(head.parameters()), lr=1e-2)
    losses = []
    for _ in range(40):
        _, (h, _) = rnn(pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False))
        loss = F.cross_entropy(head(torch.cat([h[-2], h[-1]], 1)), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_vae_with_distributions_and_a_checkpoint_file(tmp_path):
    torch.manual_seed(0)
    enc, dec = nn.Linear(10, 4), nn.Linear(2, 10)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-2)
    data = torch.randn(32, 10)
    losses = []
    for _ in range(50):
        mu, logvar = enc(data).chunk(2, dim=1)
        q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
        prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
        rec = F.mse_loss(dec(q.rsample()), data, reduction="sum") / 32
        loss = rec + torch.distributions.kl_divergence(q, prior).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    path = tmp_path / "ck.mpt"
    torch.save({"enc": enc.state_dict(), "opt": opt.state_dict()}, path)
    ck = torch.load(path)
    fresh = nn.Linear(10, 4)
    fresh.load_state_dict(ck["enc"])
    opt.load_state_dict(ck["opt"])
    assert torch.equal(fresh.weight, enc.weight)
