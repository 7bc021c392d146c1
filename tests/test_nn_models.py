"""Whole models against torch with shared weights: a resnet18 laid out as torchvision's (its
state_dict keys load by name), and the seed's freeze-and-replace-the-head program."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def resnet18(lib, num_classes=1000):
    """torchvision's resnet18 layout, written once against either library's nn."""
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            chans = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
            for i, (cin, cout, stride) in enumerate(chans, 1):
                setattr(self, f"layer{i}", nn.Sequential(BasicBlock(cin, cout, stride),
                                                         BasicBlock(cout, cout, 1)))  # fmt: skip
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(lib.flatten(self.avgpool(x), 1))

    return ResNet()


def _load_from_torch(em, tm):
    sd = {k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    result = em.load_state_dict(sd)
    assert not result.missing_keys and not result.unexpected_keys


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    tm = resnet18(torch).double()
    em = resnet18(ember).double()
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    _load_from_torch(em, tm)
    return tm, em


@pytest.mark.parametrize("train", [False, True])
def test_resnet18_forward_backward_matches_torch(models, train):
    tm, em = models
    tm.train(train)
    em.train(train)
    x = np.random.default_rng(0).normal(size=(2, 3, 48, 48))
    target = np.array([3, 7])
    outs = []
    for lib, m in ((torch, tm), (ember, em)):
        m.zero_grad()
        out = m(lib.tensor(x))
        loss = lib.nn.functional.cross_entropy(out, lib.tensor(target))
        loss.backward()
        grads = {k: p.grad.numpy() for k, p in m.named_parameters()}
        bufs = {k: b.numpy().copy() for k, b in m.named_buffers()}
        outs.append((out.detach().numpy(), loss.item(), grads, bufs))
    (to, tl, tg, tb), (eo, el, eg, eb) = outs
    np.testing.assert_allclose(eo, to, rtol=1e-9, atol=1e-9)
    assert abs(el - tl) < 1e-9
    assert eg.keys() == tg.keys()
    for k in tg:
        np.testing.assert_allclose(eg[k], tg[k], rtol=1e-7, atol=1e-9, err_msg=k)
    for k in tb:  # running statistics after a train step
        np.testing.assert_allclose(eb[k], tb[k], rtol=1e-9, atol=1e-9, err_msg=k)


def test_freeze_and_replace_head():
    # the seed's fine-tuning program: freeze everything, a new fc head, only it trains
    grads = []
    for lib in (torch, ember):
        model = resnet18(lib)
        for param in model.parameters():
            param.requires_grad = False
        model.fc = lib.nn.Linear(512, 10)
        x = lib.randn(2, 3, 32, 32)
        loss = model(x).sum()
        loss.backward()
        grads.append(sorted(n for n, p in model.named_parameters() if p.grad is not None))
    assert grads[0] == grads[1] == ["fc.bias", "fc.weight"]
