"""The canonical PyTorch MNIST example, written against ``import morch as torch``, on synthetic data.

Each 1x28x28 image is noise plus a bright 6x6 square whose position encodes the label (one of 10
places), so the network can learn it in a few steps. The loop is the example's: train()/test(),
Adadelta(lr=1.0) with StepLR(step_size=1, gamma=0.7), no_grad evaluation with argmax/eq, and the
state dict saved with torch.save and loaded into a fresh model.
"""

from __future__ import annotations

import numpy as np

import morch as torch
import morch.nn as nn
import morch.nn.functional as F
import morch.optim as optim
from morch.optim.lr_scheduler import StepLR
from morch.utils.data import DataLoader, TensorDataset

CORNERS = [(2, 2), (2, 11), (2, 20), (11, 2), (11, 11), (11, 20), (20, 2), (20, 11), (20, 20), (6, 15)]


def synthetic_mnist(n: int, seed: int) -> TensorDataset:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.uniform(0, 0.3, (n, 1, 28, 28)).astype(np.float32)
    for i, label in enumerate(labels):
        y, x = CORNERS[label]
        images[i, 0, y : y + 6, x : x + 6] += 0.7
    images = (images - 0.1307) / 0.3081  # the example's normalisation
    return TensorDataset(torch.tensor(images), torch.tensor(labels))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(model, device, train_loader, optimizer):
    model.train()
    losses = []
    for data, target in train_loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    return test_loss, correct / len(test_loader.dataset)


test.__test__ = False  # the example's name for evaluation, not a pytest test


def test_the_pytorch_mnist_example_trains_saves_and_reloads(tmp_path):
    torch.manual_seed(1)
    device = torch.device("cpu")
    train_loader = DataLoader(synthetic_mnist(256, seed=0), batch_size=64, shuffle=True)
    test_loader = DataLoader(synthetic_mnist(128, seed=1), batch_size=128)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)

    loss_before, acc_before = test(model, device, test_loader)
    epoch_losses, lrs = [], []
    for _epoch in range(1, 4):
        lrs.append(optimizer.param_groups[0]["lr"])
        epoch_losses.append(np.mean(train(model, device, train_loader, optimizer)))
        scheduler.step()
    loss_after, acc_after = test(model, device, test_loader)

    assert np.allclose(lrs, [1.0, 0.7, 0.49])
    assert epoch_losses[-1] < epoch_losses[0]
    assert loss_after < 0.5 * loss_before
    assert acc_after > max(0.5, acc_before + 0.3)

    path = tmp_path / "mnist_cnn.pt"
    torch.save(model.state_dict(), path)
    fresh = Net()
    fresh.load_state_dict(torch.load(path))
    fresh.eval()
    x = next(iter(test_loader))[0]
    with torch.no_grad():
        assert torch.equal(fresh(x), model(x))
