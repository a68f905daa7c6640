#!/usr/bin/python3
"""PyTorch on the CPU (Debian's python3-torch) as a peer of bpframe in
tools/bench: the 784-256-128-10 ReLU network, cross entropy on softmax,
plain SGD on each batch's mean loss, trained by a plain tensor loop (no
DataLoader, no torch.compile).

It loads torch and the data once, then serves the conductor (bench.py):
one request a line on stdin, one JSON reply a line on stdout, so that the
conductor can time bpframe and PyTorch back to back, round after round,
without paying torch's start-up each time. A request:

  {"batch": 32, "lr": 0.05, "samples": 60000, "threads": [1, 2],
   "test": true}

trains one shuffled pass from the same initial weights for each intra-op
thread count, and replies

  {"batch": 32, "samples": 60000, "seconds": {"1": 2.29, "2": 3.39},
   "accuracy": {"1": 0.8301, "2": 0.8301}}

("accuracy" only when "test" is true). The first reply, before any
request, is {"ready": true, "load_seconds": ...}. End of input ends it.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

# Before torch loads its OpenMP and BLAS: the pools must not spin, or the
# two of them fight over 2 cores (5 times slower); OpenBLAS gets 2 threads.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# Rows converted to tensors at a time: the float64 copy of the whole set
# would double the peak memory that the bench reports.
CHUNK = 10000


def read_idx(path, header):
    """The bytes after an IDX header of that many bytes, as uint8."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load(data_dir, prefix, limit, dtype):
    """The first limit samples (0: all): inputs pixel / 255 (divided in
    double, then cast, as the C drivers do) and labels."""
    images = read_idx(os.path.join(data_dir,
                                   f"{prefix}-images-idx3-ubyte.gz"), 16)
    labels = read_idx(os.path.join(data_dir,
                                   f"{prefix}-labels-idx1-ubyte.gz"), 8)
    images = images.reshape(-1, 784)
    if limit:
        images, labels = images[:limit], labels[:limit]
    x = torch.empty((images.shape[0], 784), dtype=dtype)
    for first in range(0, images.shape[0], CHUNK):
        rows = images[first:first + CHUNK].astype(np.float64) / 255.0
        x[first:first + CHUNK] = torch.from_numpy(rows)
    return x, torch.from_numpy(labels.astype(np.int64))


def make_model(dtype, seed):
    """784-256-128-10 with He's normal weights and zero bias, as bpframe's
    default init (not the same draws)."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10)).to(dtype)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.normal_(0.0, math.sqrt(2.0 / layer.in_features))
                layer.bias.zero_()
    return model


def train_pass(model, x, y, batch, lr, seed):
    """One shuffled pass of SGD on the mean loss of each batch; returns its
    seconds. The loss is summed as bpframe sums it for its epoch line."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    total = torch.zeros((), dtype=torch.float64)
    n = x.shape[0]
    start = time.perf_counter()
    order = torch.randperm(n, generator=gen)
    for first in range(0, n, batch):
        idx = order[first:first + batch]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.detach() * idx.shape[0]
    seconds = time.perf_counter() - start
    if not math.isfinite(total.item()):
        raise ValueError(f"the training loss is not finite (lr {lr})")
    return seconds


def accuracy(model, x, y):
    correct = 0
    with torch.no_grad():
        for first in range(0, x.shape[0], 1000):
            logits = model(x[first:first + 1000])
            correct += int((logits.argmax(1) == y[first:first + 1000]).sum())
    return correct / x.shape[0]


class Server:
    def __init__(self, args):
        self.dtype = (torch.float64 if args.precision == "double"
                      else torch.float32)
        self.seed = args.seed
        start = time.perf_counter()
        self.x, self.y = load(args.data_dir, "train", args.samples,
                              self.dtype)
        self.x_test, self.y_test = load(args.data_dir, "t10k",
                                        args.test_samples, self.dtype)
        self.load_seconds = time.perf_counter() - start
        self.warm = set()

    def serve(self, request):
        batch, lr = int(request["batch"]), float(request["lr"])
        samples = int(request["samples"]) or self.x.shape[0]
        threads = [int(t) for t in request["threads"]]
        if batch < 1 or lr <= 0 or not threads or min(threads) < 1:
            raise ValueError(f"bad request {request}")
        if samples > self.x.shape[0]:
            raise ValueError(f"{samples} samples asked, {self.x.shape[0]} "
                             "loaded")
        x, y = self.x[:samples], self.y[:samples]
        reply = {"batch": batch, "samples": samples, "seconds": {}}
        if request.get("test"):
            reply["accuracy"] = {}
        for t in threads:
            torch.set_num_threads(t)
            # A few untimed steps the first time, so that lazy set-up is
            # not timed.
            if (batch, t) not in self.warm:
                warm = min(samples, 20 * batch)
                train_pass(make_model(self.dtype, self.seed), x[:warm],
                           y[:warm], batch, lr, self.seed)
                self.warm.add((batch, t))
            model = make_model(self.dtype, self.seed)
            reply["seconds"][str(t)] = train_pass(model, x, y, batch, lr,
                                                  self.seed)
            if request.get("test"):
                reply["accuracy"][str(t)] = accuracy(model, self.x_test,
                                                     self.y_test)
        return reply


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data_dir", help="folder of the four IDX .gz files")
    p.add_argument("--precision", choices=("double", "float"),
                   default="double")
    p.add_argument("--samples", type=int, default=0,
                   help="load the first N training samples (0: all)")
    p.add_argument("--test-samples", type=int, default=0,
                   help="test on the first N test samples (0: all)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if args.samples < 0 or args.test_samples < 0:
        p.error("sample counts must not be negative")

    server = Server(args)
    print(json.dumps({"ready": True, "torch": torch.__version__,
                      "load_seconds": server.load_seconds}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = server.serve(json.loads(line))
        except (ValueError, KeyError, TypeError) as e:
            reply = {"error": str(e)}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
