#!/usr/bin/python3
"""The conductor of tools/bench, run by tools/bench/run: compiles the C
drivers, writes bpframe's graph files, times bpframe and each peer pair by
pair on the same network, data, batch size, learning rate and epochs, and
prints the report in Markdown on stdout. Progress goes to stderr.

The exit status is 1 when any part failed. A peer that is not installed is
skipped, with a line saying so, and does not fail the bench.
"""
import argparse
import collections
import gzip
import json
import os
import random
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATASET = "/usr/share/datasets/fashion-mnist"

WIDTHS = (784, 256, 128, 10)
BATCHES = (1, 32, 128)
GEMM_BATCHES = (32, 128)
PRECISIONS = ("double", "float")
# The learning rate of each batch size, the same for every peer.
LR = {1: 0.01, 32: 0.05, 128: 0.1}
SEED = 1
# The hand loop's variants, each with its OpenBLAS threads (only "blas"
# calls OpenBLAS; bpframe's gemv may run on 2 threads, so the speed of
# light tries both).
HAND_VARIANTS = (("loops", 1), ("fused", 1), ("blas", 1), ("blas", 2))
PEERS = ("torch", "fann", "hand")
NAMES = {"bpframe": "bpframe", "torch": "PyTorch", "fann": "FANN",
         "hand": "hand loop"}
# The XOR check's tolerance on the final loss (bpframe prints 6 digits)
# and on the parameters (the model file has 17), by precision: in float
# the two programs round their sums in different orders.
XOR_LOSS_TOLERANCE = {"double": 1e-5, "float": 1e-3}
XOR_PARAM_TOLERANCE = {"double": 1e-9, "float": 1e-3}

# The first line of the time table (tests/test-bench.c looks for it).
TIME_HEADER = ("| configuration | unit | bpframe | PyTorch | FANN | "
               "hand loop | PyTorch / bpframe | FANN / bpframe | "
               "hand loop / bpframe | bpframe GFLOP/s | GEMM GFLOP/s | "
               "bpframe % of GEMM |")


def step_flops(batch):
    """FLOP of one training step's matrix products at this batch: X W^T
    and G^T X for each layer, G W for the layers after the first (the
    first layer's input needs no gradient)."""
    flops = 0
    for i in range(len(WIDTHS) - 1):
        flops += 2 * batch * WIDTHS[i] * WIDTHS[i + 1] * (3 if i else 2)
    return flops


FLOP_PER_SAMPLE = step_flops(1)

RUN_LINE = re.compile(r"^run \d+: (\d+) samples in ([0-9.]+) s", re.M)
ACCURACY_LINE = re.compile(r"^test accuracy ([0-9.]+)", re.M)
EPOCH_LINE = re.compile(
    r"^epoch\s+\d+/\d+\s+loss \S+(?:\s+test accuracy ([0-9.]+))?"
    r"(?:\s+test loss \S+)?\s+([0-9.]+) (ms|s)$", re.M)
FINAL_LOSS = re.compile(r"final loss ([^;\s]+)", re.M)
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class PartFailed(Exception):
    """A part of the bench went wrong: recorded, and the rest goes on."""


class Timed:
    """One timed pass of one program: its seconds over its samples, its
    peak resident memory in MB, its test accuracy, and the setting it ran
    with (PyTorch's thread count, the hand loop's variant)."""

    def __init__(self, seconds, samples, peak_mb=None, accuracy=None,
                 setting=None):
        self.seconds = seconds
        self.samples = samples
        self.peak_mb = peak_mb
        self.accuracy = accuracy
        self.setting = setting

    @property
    def per_sample(self):
        return self.seconds / self.samples


class Cell:
    """One program in one configuration over the rounds."""

    def __init__(self):
        self.passes = []
        self.peak_mb = None
        self.accuracy = None

    def add(self, timed):
        self.passes.append(timed)
        self.note_peak(timed.peak_mb)
        if timed.accuracy is not None:
            self.accuracy = timed.accuracy

    def note_peak(self, peak_mb):
        if peak_mb is not None:
            self.peak_mb = max(self.peak_mb or 0, peak_mb)

    @property
    def samples(self):
        return self.passes[0].samples

    @property
    def seconds(self):
        """The median of the rounds' seconds for a pass."""
        return statistics.median(t.seconds for t in self.passes)

    @property
    def per_sample(self):
        return statistics.median(t.per_sample for t in self.passes)

    @property
    def setting(self):
        """The setting most rounds ran with, and how many did."""
        settings = [t.setting for t in self.passes if t.setting]
        if not settings:
            return ""
        name, count = collections.Counter(settings).most_common(1)[0]
        return name if count == len(settings) else \
            f"{name} in {count} of {len(settings)}"


class Proc:
    def __init__(self, stdout, peak_mb, wall):
        self.stdout = stdout
        self.peak_mb = peak_mb
        self.wall = wall


def read_peak(path):
    """Peak resident memory in MB from /usr/bin/time -v's report."""
    with open(path, encoding="utf-8", errors="replace") as f:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                      f.read())
    return int(m.group(1)) / 1024 if m else None


def load_average():
    """The 1-minute load average, or None where /proc has none."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def tail(text, lines=3):
    return " | ".join(text.strip().splitlines()[-lines:])


class TorchWorker:
    """torch_bench.py serving one precision: torch and the data are
    loaded once, then each request trains one pass (see its doc)."""

    def __init__(self, bench, precision, samples):
        self.bench = bench
        self.time_path = os.path.join(bench.work, f"torch-{precision}.time")
        self.err = tempfile.TemporaryFile("w+", dir=bench.work)
        cmd = ["/usr/bin/python3", os.path.join(HERE, "torch_bench.py"),
               bench.data_dir, "--precision", precision, "--samples",
               str(samples), "--test-samples", str(bench.test_n), "--seed",
               str(SEED)]
        if bench.have_time:
            cmd = ["/usr/bin/time", "-v", "-o", self.time_path] + cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=self.err, text=True,
                                     env=bench.env())
        ready = self.reply()
        self.version = ready.get("torch")
        self.load_seconds = ready.get("load_seconds")

    def reply(self):
        timeout = self.bench.timeout
        readable, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if readable else None
        if not line:
            self.kill()
            self.err.seek(0)
            why = (f"answered nothing in {timeout} s" if line is None
                   else f"ended: {tail(self.err.read())}")
            raise PartFailed(f"torch_bench.py {why}")
        reply = json.loads(line)
        if "error" in reply:
            raise PartFailed(f"torch_bench.py: {reply['error']}")
        return reply

    def request(self, **request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self.reply()

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def close(self):
        """Ends the worker; returns its peak memory in MB, if known."""
        self.proc.stdin.close()
        try:
            status = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            raise PartFailed("torch_bench.py did not end")
        self.err.close()
        if status != 0:
            raise PartFailed(f"torch_bench.py exited with status {status}")
        return read_peak(self.time_path) if self.bench.have_time else None


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.runs = 1 if args.quick else args.runs
        self.work = os.path.abspath(args.work)
        self.bin = os.path.join(self.work, "bin")
        self.start = time.monotonic()
        self.start_load = load_average()
        self.timeout = 300 if self.quick else 1200
        self.failures = []
        self.skipped = []
        self.notes = []
        self.broken = set()  # programs that failed once: not run again
        self.cells = {}      # (precision, batch, program) -> Cell
        self.ratios = {}     # (precision, batch, peer) -> [peer / bpframe]
        self.gemm = {}       # (precision, batch) -> [GFLOP/s]
        self.gemm_share = {}  # (precision, batch) -> [bpframe / GEMM]
        self.xor_checks = []
        self.load = {}       # precision -> bpframe's start-up and load
        self.torch_load = {}
        self.torch_workers = {}
        self.torch_version = None
        self.machine = []
        self.bpframe = {"double": args.bpframe}
        if args.bpframe_float:
            self.bpframe["float"] = args.bpframe_float
        self.have_time = os.access("/usr/bin/time", os.X_OK)
        self.have_fann = False
        if args.quick:
            self.train_1 = self.train_n = self.test_n = args.quick_samples
        else:
            self.train_1 = args.samples
            self.train_n = args.train_samples
            self.test_n = 0
        self.data_dir = args.dataset

    # ---- Helpers ----------------------------------------------------------

    def log(self, message):
        elapsed = time.monotonic() - self.start
        print(f"bench: [{elapsed:5.0f} s] {message}", file=sys.stderr,
              flush=True)

    def fail(self, name, error):
        self.failures.append(f"{name}: {error}")
        self.log(f"FAILED {name}: {error}")

    def part(self, name, function, *args):
        """Runs one part; a failure is recorded and the bench goes on."""
        try:
            function(*args)
        except (PartFailed, OSError, ValueError,
                subprocess.SubprocessError) as e:
            self.fail(name, e)

    def skip(self, message):
        self.skipped.append(message)
        self.log(f"skipped: {message}")

    def env(self, **extra):
        env = dict(os.environ)
        env.pop("G_MESSAGES_DEBUG", None)
        env["OPENBLAS_NUM_THREADS"] = "2"
        env["OMP_WAIT_POLICY"] = "passive"
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def run(self, cmd, env=None):
        """Runs cmd to its end; its stdout, peak resident memory in MB (from
        /usr/bin/time -v; None without it) and wall time. A non-zero exit
        fails the part, with the end of its stderr."""
        time_path = os.path.join(self.work, "last.time")
        full = list(cmd)
        if self.have_time:
            full = ["/usr/bin/time", "-v", "-o", time_path] + full
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env=env or self.env())
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise PartFailed(f"{os.path.basename(cmd[0])} took more than "
                             f"{self.timeout} s")
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise PartFailed(f"{os.path.basename(cmd[0])} {cmd[1]} exited "
                             f"with status {proc.returncode}: {tail(err)}")
        peak = read_peak(time_path) if self.have_time else None
        return Proc(out, peak, wall)

    def cell(self, precision, batch, program):
        return self.cells.setdefault((precision, batch, program), Cell())

    # ---- Building the C drivers ---------------------------------------------

    def pkg(self, name, fallback):
        proc = subprocess.run(["pkg-config", "--cflags", "--libs", name],
                              capture_output=True, text=True)
        return proc.stdout.split() if proc.returncode == 0 else fallback

    def build(self):
        """Compiles the drivers into the work folder, two at a time (the
        machine has 2 cores). Warnings are errors, as in bpframe."""
        os.makedirs(self.bin, exist_ok=True)
        blas = self.pkg("openblas", ["-lopenblas"])
        zlib = self.pkg("zlib", ["-lz"])
        jobs = [("gemm_rate", ["gemm_rate.c"], ["-O2"], blas)]
        # The hand loop is the speed of light: tuned for this machine.
        for p in PRECISIONS:
            real = ["-DREAL=float"] if p == "float" else []
            jobs.append((f"handloop-{p}", ["handloop.c", "fmnist.c"],
                         ["-O3", "-march=native", "-fopenmp-simd"] + real,
                         blas + zlib + ["-lm"]))
        self.have_fann = os.path.exists("/usr/include/fann.h")
        if self.have_fann:
            for p in PRECISIONS:
                real = ["-DREAL=float"] if p == "float" else []
                jobs.append((f"fann-{p}", ["fann_driver.c", "fmnist.c"],
                             ["-O2"] + real,
                             [f"-l{p}fann"] + zlib + ["-lm"]))
        else:
            self.skip("FANN (libfann-dev is not installed)")

        self.log(f"compiling the C drivers ({len(jobs)})")
        errors = []
        while jobs:
            running = []
            for out, sources, flags, libs in jobs[:2]:
                cmd = (["cc", "-std=c11", "-D_POSIX_C_SOURCE=200809L",
                        "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
                       + flags + ["-o", os.path.join(self.bin, out)]
                       + [os.path.join(HERE, s) for s in sources] + libs)
                running.append((out, subprocess.Popen(
                    cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    text=True)))
            jobs = jobs[2:]
            for out, proc in running:
                text = proc.communicate()[0]
                if proc.returncode != 0:
                    errors.append(f"compiling {out}: {tail(text, 4)}")
        if errors:
            raise PartFailed("; ".join(errors))

    # ---- Data and graph files -----------------------------------------------

    @staticmethod
    def idx_path(folder, prefix, kind):
        return os.path.join(folder, f"{prefix}-{kind}-idx"
                            f"{3 if kind == 'images' else 1}-ubyte.gz")

    def synthesize(self, folder, n):
        """A tiny IDX data set of random pixels and labels, for --quick
        where Fashion-MNIST is missing: it goes through every code path."""
        rng = random.Random(SEED)
        os.makedirs(folder, exist_ok=True)
        for prefix in ("train", "t10k"):
            images = bytes(rng.randrange(256) for _ in range(n * 784))
            labels = bytes(rng.randrange(10) for _ in range(n))
            with gzip.open(self.idx_path(folder, prefix, "images"),
                           "wb") as f:
                f.write(bytes([0, 0, 8, 3]) + n.to_bytes(4, "big")
                        + (28).to_bytes(4, "big") * 2 + images)
            with gzip.open(self.idx_path(folder, prefix, "labels"),
                           "wb") as f:
                f.write(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + labels)

    def prepare_data(self):
        if all(os.path.exists(self.idx_path(self.data_dir, p, k))
               for p in ("train", "t10k") for k in ("images", "labels")):
            self.log(f"data: Fashion-MNIST in {self.data_dir}")
        elif self.quick:
            missing = self.data_dir
            self.data_dir = os.path.join(self.work, "synthetic")
            self.synthesize(self.data_dir, self.args.quick_samples)
            self.skip(f"Fashion-MNIST (not in {missing}; install "
                      "dataset-fashion-mnist): random pixels instead")
        else:
            raise PartFailed(f"no Fashion-MNIST in {self.data_dir} "
                             "(install dataset-fashion-mnist)")
        os.makedirs(os.path.join(self.work, "graphs"), exist_ok=True)

    def data_lines(self, role, prefix, limit):
        # JSON strings are YAML double-quoted scalars: any path is safe.
        lines = [f"  {role}:",
                 "    images: "
                 + json.dumps(self.idx_path(self.data_dir, prefix, "images")),
                 "    labels: "
                 + json.dumps(self.idx_path(self.data_dir, prefix, "labels"))]
        if limit:
            lines.append(f"    limit: {limit}")
        return lines

    def graph(self, batch, test):
        """Writes the graph file of the bench's network at this batch size,
        reading the IDX files directly (with a test set or not); returns
        its path."""
        name = f"fmnist-b{batch}{'-test' if test else ''}.yaml"
        path = os.path.join(self.work, "graphs", name)
        lines = [
            "# Written by tools/bench: 784-256-128-10 on Fashion-MNIST.",
            "version: 1",
            "network:",
            "  input: 784",
            "  layers:",
            "    - affine: {units: 256, init: he}",
            "    - relu",
            "    - affine: {units: 128, init: he}",
            "    - relu",
            "    - affine: {units: 10, init: he}",
            "    - softmax",
            "  loss: cross_entropy",
            "data:",
        ]
        lines += self.data_lines("train", "train",
                                 self.train_1 if batch == 1
                                 else self.train_n)
        if test:
            lines += self.data_lines("test", "t10k", self.test_n)
        lines += [
            "training:",
            "  epochs: 1",
            f"  batch: {batch}",
            f"  optimizer: {{sgd: {{lr: {LR[batch]}}}}}",
            f"  seed: {SEED}",
        ]
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return path

    # ---- The machine's GEMM rate --------------------------------------------

    def gemm_rate(self, p, b):
        """GFLOP/s of dgemm or sgemm running a step's products at batch b:
        measured in each round beside bpframe's pass, so that both see the
        same machine (it is shared, and its load drifts)."""
        proc = self.run([os.path.join(self.bin, "gemm_rate"),
                         "--runs", "1" if self.quick else "3",
                         "--seconds", "0.02" if self.quick else "0.2",
                         "--threads", "2", "--precision", p, str(b)])
        m = re.search(r"^[ds]gemm batch \d+: ([0-9.]+) GFLOP/s", proc.stdout,
                      re.M)
        if m is None:
            raise PartFailed("gemm_rate printed no rate")
        blas = re.search(r"^openblas (.*)$", proc.stdout, re.M)
        if blas and not any(line.startswith("BLAS: ")
                            for line in self.machine):
            self.machine.append(f"BLAS: {blas.group(1)}")
        return float(m.group(1))

    # ---- One pass of each program -------------------------------------------

    def parse_runs(self, text, what):
        """The last run of a C driver's output (the runs before it warm
        up), with the test accuracy."""
        runs = RUN_LINE.findall(text)
        acc = ACCURACY_LINE.search(text)
        if not runs or acc is None:
            raise PartFailed(f"{what}: no run or no accuracy in its output")
        n, seconds = runs[-1]
        return int(n), float(seconds), float(acc.group(1))

    def bpframe_epochs(self, proc):
        """Each epoch line's seconds and test accuracy (None without)."""
        epochs = [(float(t) * (1e-3 if unit == "ms" else 1.0),
                   float(acc) if acc else None)
                  for acc, t, unit in EPOCH_LINE.findall(proc.stdout)]
        if not epochs:
            raise PartFailed("bpframe printed no epoch line")
        return epochs

    def bpframe_pass(self, p, b):
        """Two epochs without a test set (whose evaluation the epoch time
        would include); the second is timed, the first warms up. What is
        not epochs in the wall time is start-up and loading."""
        proc = self.run([self.bpframe[p], "run", "--epochs", "2",
                         self.graph(b, test=False)])
        epochs = self.bpframe_epochs(proc)
        if len(epochs) != 2:
            raise PartFailed(f"bpframe printed {len(epochs)} epoch lines, "
                             "not 2")
        if b != 1 and not self.train_n:
            self.load.setdefault(p, []).append(
                proc.wall - sum(t for t, _ in epochs))
        n = self.train_1 if b == 1 else (self.train_n or 60000)
        return Timed(epochs[-1][0], n, proc.peak_mb)

    def bpframe_accuracy(self, p, b):
        """One epoch with the test set: the accuracy after one pass, and
        the peak memory with both sets loaded."""
        proc = self.run([self.bpframe[p], "run", "--epochs", "1",
                         self.graph(b, test=True)])
        cell = self.cell(p, b, "bpframe")
        cell.accuracy = self.bpframe_epochs(proc)[-1][1]
        cell.note_peak(proc.peak_mb)

    def torch_pass(self, p, b):
        """One pass with 1 and with 2 intra-op threads; the faster kept."""
        samples = self.train_1 if b == 1 else self.train_n
        reply = self.torch_workers[p].request(
            batch=b, lr=LR[b], samples=samples, threads=[1, 2], test=True)
        threads, seconds = min(reply["seconds"].items(),
                               key=lambda kv: kv[1])
        return Timed(seconds, reply["samples"], None,
                     reply["accuracy"][threads],
                     f"{threads} thread{'s' if threads != '1' else ''}")

    def fann_pass(self, p, b):
        proc = self.run([os.path.join(self.bin, f"fann-{p}"), "--runs", "2",
                         "--samples", str(self.train_1), "--test-samples",
                         str(self.test_n), "--lr", str(LR[b]), "--seed",
                         str(SEED), self.data_dir])
        n, seconds, acc = self.parse_runs(proc.stdout, "fann_driver")
        return Timed(seconds, n, proc.peak_mb, acc)

    def hand_pass(self, p, b):
        """Each variant of the hand loop; the fastest kept."""
        best = None
        for variant, threads in HAND_VARIANTS:
            proc = self.run([os.path.join(self.bin, f"handloop-{p}"),
                             "--variant", variant, "--runs", "2",
                             "--samples", str(self.train_1),
                             "--test-samples", str(self.test_n), "--lr",
                             str(LR[b]), "--seed", str(SEED),
                             self.data_dir],
                            self.env(OPENBLAS_NUM_THREADS=threads))
            n, seconds, acc = self.parse_runs(proc.stdout, "handloop")
            name = (f"{variant}, {threads} thread{'s' if threads > 1 else ''}"
                    if variant == "blas" else variant)
            timed = Timed(seconds, n, proc.peak_mb, acc, name)
            if best is None or timed.seconds < best.seconds:
                best = timed
        return best

    # ---- The rounds ---------------------------------------------------------

    def timed(self, p, b, program, function):
        """One pass of program, recorded in its cell; None when it failed
        (then it is not run again)."""
        if program in self.broken:
            return None
        try:
            timed = function(p, b)
        except (PartFailed, OSError, ValueError,
                subprocess.SubprocessError) as e:
            self.broken.add(program)
            self.fail(f"{NAMES[program]}, {p}, batch {b}", e)
            return None
        self.cell(p, b, program).add(timed)
        return timed

    def peers_of(self, p, b):
        peers = []
        if p in self.torch_workers:
            peers.append(("torch", self.torch_pass))
        if b == 1:
            if self.have_fann:
                peers.append(("fann", self.fann_pass))
            peers.append(("hand", self.hand_pass))
        return peers

    def bracket_rate(self, p, b):
        """The GEMM rate of this moment, or None when it cannot be had."""
        if b not in GEMM_BATCHES or "gemm" in self.broken:
            return None
        try:
            rate = self.gemm_rate(p, b)
        except (PartFailed, OSError) as e:
            self.broken.add("gemm")
            self.fail(f"GEMM rate, {p}, batch {b}", e)
            return None
        self.gemm.setdefault((p, b), []).append(rate)
        return rate

    def configuration(self, p, b):
        """Round after round, bpframe and then each peer, back to back; a
        ratio is taken within each round, and its median reported. The
        GEMM rate is measured just before bpframe's pass and just after
        it, and bpframe's share taken of their mean: the machine's speed
        drifts, and one reading on one side of the pass judged it by a
        moment it did not run in."""
        for r in range(1, self.runs + 1):
            self.log(f"{p}, batch {b}, round {r} of {self.runs}")
            bp = None
            before = self.bracket_rate(p, b) if p in self.bpframe else None
            if p in self.bpframe:
                bp = self.timed(p, b, "bpframe", self.bpframe_pass)
            after = self.bracket_rate(p, b)
            if bp is not None and before is not None and after is not None:
                self.gemm_share.setdefault((p, b), []).append(
                    self.gflops(bp) / ((before + after) / 2))
            for peer, function in self.peers_of(p, b):
                t = self.timed(p, b, peer, function)
                if bp is not None and t is not None:
                    self.ratios.setdefault((p, b, peer), []).append(
                        t.per_sample / bp.per_sample)
        if p in self.bpframe and "bpframe" not in self.broken:
            self.part(f"bpframe, {p}, batch {b}, test set",
                      self.bpframe_accuracy, p, b)

    def start_torch(self, p):
        """The PyTorch worker of precision p, if torch is there."""
        if "torch" in self.broken:
            return
        self.log(f"PyTorch, {p}: loading torch and the data")
        samples = (max(self.train_1, self.train_n) if self.train_n
                   else 0)
        try:
            worker = TorchWorker(self, p, samples)
        except (PartFailed, OSError, ValueError) as e:
            self.broken.add("torch")
            self.fail(f"PyTorch, {p}", e)
            return
        self.torch_workers[p] = worker
        self.torch_version = worker.version
        self.torch_load[p] = worker.load_seconds

    def stop_torch(self, p):
        worker = self.torch_workers.pop(p, None)
        if worker is None:
            return
        try:
            peak = worker.close()
        except (PartFailed, OSError) as e:
            self.fail(f"PyTorch, {p}", e)
            return
        # One process served every batch size of this precision.
        for b in BATCHES:
            if (p, b, "torch") in self.cells:
                self.cells[(p, b, "torch")].note_peak(peak)

    def rounds(self):
        probe = subprocess.run(["/usr/bin/python3", "-c", "import torch"],
                               capture_output=True)
        if probe.returncode != 0:
            self.skip("PyTorch (python3-torch is not installed)")
            self.broken.add("torch")
        for p in PRECISIONS:
            if p not in self.bpframe:
                self.notes.append(
                    f"No bpframe {p} build in this run (--bpframe names one "
                    "double build): its cells are empty.")
            self.start_torch(p)
            try:
                for b in BATCHES:
                    self.configuration(p, b)
            finally:
                self.stop_torch(p)

    # ---- XOR on the paper's 2-2-2 network -----------------------------------

    XOR_GRAPH = """\
# Written by tools/bench: XOR on the paper's 2-2-2 network (configs/xor.yaml)
# from fixed weights, which tools/bench/handloop.c starts from too.
version: 1
network:
  input: 2
  layers:
    - affine:
        units: 2
        weights: [[0.6, -0.5], [-0.4, 0.7]]
        bias: [0.05, 0.05]
    - relu
    - affine:
        units: 2
        weights: [[-0.5, -0.3], [0.4, 0.6]]
        bias: [0.1, -0.1]
    - softmax
  loss: binary_cross_entropy
data:
  train:
    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]
    targets: [[1, 0], [0, 1], [0, 1], [1, 0]]
training:
  epochs: 1
  batch: 1
  optimizer: {sgd: {lr: 0.1}}
  update: sequential
  shuffle: false
"""

    @staticmethod
    def model_parameters(path):
        """The numbers of the model file's parameter rows, in order."""
        values = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*- \[(.*)\]\s*$", line)
                if m:
                    values += [float(v) for v in NUMBER.findall(m.group(1))]
        return values

    def xor_check(self, p, graph, epochs):
        """bpframe and the hand loop, from the same weights, must end on
        the same loss and the same parameters: the same arithmetic."""
        model = os.path.join(self.work, f"xor-{p}-model.yaml")
        bp = self.run([self.bpframe[p], "run", "--epochs", str(epochs),
                       "--model", model, graph])
        hand = self.run([os.path.join(self.bin, f"handloop-{p}"), "--xor",
                         "--runs", "1", "--epochs", str(epochs)])
        m_bp, m_hand = FINAL_LOSS.search(bp.stdout), \
            FINAL_LOSS.search(hand.stdout)
        m_params = re.search(r"^parameters (.*)$", hand.stdout, re.M)
        if not (m_bp and m_hand and m_params):
            raise PartFailed(f"XOR {p}: no final loss or parameters in the "
                             "output")
        bp_loss, hand_loss = float(m_bp.group(1)), float(m_hand.group(1))
        if abs(bp_loss - hand_loss) > XOR_LOSS_TOLERANCE[p] * abs(hand_loss):
            raise PartFailed(f"XOR {p}: bpframe's final loss {bp_loss} is "
                             f"not the hand loop's {hand_loss}")
        bp_params = self.model_parameters(model)
        hand_params = [float(v) for v in m_params.group(1).split()]
        if len(bp_params) != len(hand_params):
            raise PartFailed(f"XOR {p}: {len(bp_params)} parameters in "
                             f"bpframe's model, {len(hand_params)} from "
                             "the hand loop")
        worst = max(abs(a - b) / max(1.0, abs(b))
                    for a, b in zip(bp_params, hand_params))
        if worst > XOR_PARAM_TOLERANCE[p]:
            raise PartFailed(f"XOR {p}: bpframe's parameters differ from "
                             f"the hand loop's by {worst:.3g}")
        self.xor_checks.append(
            f"XOR check, {p}: after {epochs} epochs bpframe's final loss "
            f"{bp_loss:.6g} is the hand loop's {hand_loss:.6g}, and its "
            f"{len(bp_params)} parameters are the hand loop's within "
            f"{worst:.1e}")

    def xor_epochs(self):
        """Epochs of 4 samples in each timed XOR run."""
        return 20000 if self.quick else 1000000

    def xor(self):
        graph = os.path.join(self.work, "graphs", "xor.yaml")
        with open(graph, "w", encoding="utf-8") as f:
            f.write(self.XOR_GRAPH)
        check_epochs = 100 if self.quick else 1000
        epochs = self.xor_epochs()
        for p in PRECISIONS:
            if p in self.bpframe:
                self.log(f"XOR 2-2-2, {p}: bpframe against the hand loop")
                self.xor_check(p, graph, check_epochs)
            for r in range(1, self.runs + 1):
                self.log(f"XOR 2-2-2, {p}, round {r} of {self.runs}")
                self.xor_round(p, graph, epochs)

    def xor_round(self, p, graph, epochs):
        """Both programs train the same 4 E samples. bpframe's time is its
        run of E epochs less its run of one, which takes away its start-up
        (some milliseconds) and little else; the hand loop's is its own
        second run."""
        bp = None
        if p in self.bpframe:
            walls = [self.run([self.bpframe[p], "run", "--quiet",
                               "--epochs", str(e), graph]).wall
                     for e in (1, epochs)]
            if walls[1] > walls[0]:
                bp = Timed(walls[1] - walls[0], 4 * (epochs - 1))
                self.cell(p, "xor", "bpframe").add(bp)
            else:
                self.log(f"XOR {p}: bpframe's runs too short to time")
                self.notes.append(f"XOR {p}: in one round bpframe's run of "
                                  f"{epochs} epochs took no longer than "
                                  "that of one: not timed.")
        proc = self.run([os.path.join(self.bin, f"handloop-{p}"), "--xor",
                         "--runs", "2", "--epochs", str(epochs)])
        runs = RUN_LINE.findall(proc.stdout)
        if not runs:
            raise PartFailed("handloop --xor printed no run")
        hand = Timed(float(runs[-1][1]), int(runs[-1][0]))
        self.cell(p, "xor", "hand").add(hand)
        if bp is not None:
            self.ratios.setdefault((p, "xor", "hand"), []).append(
                hand.per_sample / bp.per_sample)

    # ---- The report ---------------------------------------------------------

    def machine_info(self):
        model = "?"
        try:
            out = subprocess.run(["lscpu"], capture_output=True,
                                 text=True).stdout
            m = re.search(r"^Model name:\s*(.*)$", out, re.M)
            model = m.group(1).strip() if m else model
        except OSError:
            pass
        self.machine.insert(0, f"CPU: {model}, {os.cpu_count()} cores")
        for what, cmd in (
                ("bpframe", [self.bpframe["double"], "--version"]),
                ("compiler", ["cc", "--version"]),
                ("FANN", ["dpkg-query", "-W", "-f", "${Version}",
                          "libfann-dev"])):
            try:
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode == 0 and out.stdout.strip():
                    self.machine.append(
                        f"{what}: {out.stdout.strip().splitlines()[0]}")
            except OSError:
                pass

    def get(self, p, b, program):
        cell = self.cells.get((p, b, program))
        return cell if cell is not None and cell.passes else None

    @staticmethod
    def show(cell, batch):
        """A pass's median time: µs a sample at batch 1, s a pass else."""
        if cell is None:
            return "-"
        text = (f"{cell.per_sample * 1e6:.1f}" if batch == 1
                else f"{cell.seconds:.3f}")
        return f"{text} ({cell.setting})" if cell.setting else text

    def ratio(self, p, b, peer):
        ratios = self.ratios.get((p, b, peer))
        return f"{statistics.median(ratios):.2f}x" if ratios else "-"

    @staticmethod
    def gflops(measured):
        """GFLOP/s of a Timed pass or a Cell's median."""
        return FLOP_PER_SAMPLE / measured.per_sample * 1e-9

    def gemm_cells(self, p, b):
        """The GEMM rate's median and bpframe's median share of it, shown
        as table cells."""
        rates, shares = self.gemm.get((p, b)), self.gemm_share.get((p, b))
        return [f"{statistics.median(rates):.1f}" if rates else "-",
                f"{100 * statistics.median(shares):.0f}%" if shares
                else "-"]

    def time_table(self):
        out = [TIME_HEADER, "|" + "---|" * 12]
        for p in PRECISIONS:
            for b in BATCHES:
                bp = self.get(p, b, "bpframe")
                n = next((c.samples for c in (
                    self.get(p, b, k) for k in NAMES) if c), 0)
                unit = (f"us a sample ({n} samples)" if b == 1
                        else f"s a pass ({n} samples)")
                cells = ([self.show(self.get(p, b, k), b) for k in NAMES]
                         + [self.ratio(p, b, k) for k in PEERS]
                         + [f"{self.gflops(bp):.1f}" if bp else "-"]
                         + self.gemm_cells(p, b))
                out.append(f"| {p}, batch {b} | {unit} | "
                           + " | ".join(cells) + " |")
        for p in PRECISIONS:
            bp, hand = self.get(p, "xor", "bpframe"), self.get(p, "xor",
                                                                "hand")
            out.append(
                f"| {p}, XOR 2-2-2 online | ns a sample | "
                f"{f'{bp.per_sample * 1e9:.0f}' if bp else '-'} | - | - | "
                f"{f'{hand.per_sample * 1e9:.0f}' if hand else '-'} | - | - "
                f"| {self.ratio(p, 'xor', 'hand')} | - | - | - |")
        return out

    def memory_table(self):
        out = ["| configuration | peak MB bpframe | PyTorch | FANN | "
               "hand loop | test accuracy bpframe | PyTorch | FANN | "
               "hand loop |", "|" + "---|" * 9]
        for p in PRECISIONS:
            for b in BATCHES:
                cells = [self.cells.get((p, b, k)) for k in NAMES]
                mem = [f"{c.peak_mb:.0f}" if c and c.peak_mb else "-"
                       for c in cells]
                acc = [f"{c.accuracy:.4f}" if c and c.accuracy is not None
                       else "-" for c in cells]
                out.append(f"| {p}, batch {b} | " + " | ".join(mem + acc)
                           + " |")
        return out

    def targets(self):
        """The issue's targets, each met or not, in each precision."""
        lines = []

        def check(text, ok):
            lines.append(f"- {text}: {'met' if ok else 'NOT met'}")

        def spread(values, shown):
            """The lowest and the highest round beside the median, when
            there were several: on a shared machine a verdict near its
            line can go either way, and this shows how far."""
            if len(values) < 2:
                return ""
            low, high = sorted((shown(min(values)), shown(max(values))),
                               key=lambda s: float(s.rstrip("%x")))
            return f"; rounds {low} to {high}"

        def percent(v):
            return f"{100 * v:.0f}%"

        def times(v):
            return f"{v:.2f}x"

        def inverse_times(v):
            return f"{1 / v:.2f}x"

        for p in PRECISIONS:
            for b in (128, 32):
                shares = self.gemm_share.get((p, b))
                if shares:
                    pct = 100 * statistics.median(shares)
                    check(f"{p}, batch {b}: 80% of the GEMM rate or more "
                          f"({pct:.0f}%{spread(shares, percent)})",
                          pct >= 80)
                ratios = self.ratios.get((p, b, "torch"))
                if ratios:
                    q = statistics.median(ratios)
                    check(f"{p}, batch {b}: 1.3x PyTorch or better "
                          f"({q:.2f}x{spread(ratios, times)})", q >= 1.3)
            for peer, label, want in (
                    ("hand", "within 1.5x the hand loop", 1 / 1.5),
                    ("torch", "8x PyTorch or better", 8),
                    ("fann", "3x FANN or better", 3)):
                ratios = self.ratios.get((p, 1, peer))
                if ratios:
                    q = statistics.median(ratios)
                    shown = (f"{1 / q:.2f}x the hand loop's time"
                             f"{spread(ratios, inverse_times)}"
                             if peer == "hand"
                             else f"{q:.2f}x{spread(ratios, times)}")
                    check(f"{p}, batch 1: {label} ({shown})", q >= want)
            ratios = self.ratios.get((p, "xor", "hand"))
            if ratios:
                q = 1 / statistics.median(ratios)
                check(f"{p}, XOR 2-2-2: within 3x the hand loop "
                      f"({q:.2f}x its time"
                      f"{spread(ratios, inverse_times)})", q <= 3)
        peaks = [c.peak_mb for (p, b, k), c in self.cells.items()
                 if k == "bpframe" and b in BATCHES and c.peak_mb]
        if peaks:
            check(f"bpframe's peak memory under 250 MB "
                  f"({max(peaks):.0f} MB at most)", max(peaks) < 250)
        if self.load:
            worst = max(statistics.median(s) for s in self.load.values())
            check(f"bpframe's start-up and data load under 1 s "
                  f"({worst:.2f} s)", worst < 1)
        if not lines:
            lines.append("- nothing to check: bpframe was not measured")
        return lines

    def fixed_notes(self):
        n = self.train_n or 60000
        return [
            "Network 784-256-128-10, ReLU, softmax with cross entropy, "
            "plain SGD on the batch's mean gradient; lr "
            + ", ".join(f"{LR[b]} at batch {b}" for b in BATCHES)
            + f"; x = pixel / 255. Batch 1 trains on the first "
            f"{self.train_1} training images, batches 32 and 128 on "
            f"{n}; accuracy is on {self.test_n or 10000} test images after "
            "one pass from He's initial weights (each program draws its "
            "own). bpframe reads the gzip IDX files itself (graph keys "
            "images, labels, limit).",
            f"Each round times one pass of each program back to back, "
            f"bpframe first; a ratio is the peer's time over bpframe's in "
            f"the same round (above 1, bpframe is faster), and the table "
            f"shows the median over {self.runs} round(s), of the times "
            f"and of the ratios. Every program is timed warm: bpframe's "
            f"second epoch (its own epoch line, no test set), the C "
            f"drivers' second run, PyTorch after untimed warm-up steps.",
            f"GFLOP/s count {FLOP_PER_SAMPLE / 1e6:.2f} MFLOP of matrix "
            "products a sample (X W^T and G^T X for each layer, G W for the "
            "last two). GEMM GFLOP/s is tools/bench/gemm_rate.c running "
            "exactly those products with bpframe's leading dimensions on 2 "
            "OpenBLAS threads, in each round just before and just after "
            "bpframe's pass; bpframe's share is of the two readings' mean, "
            "within each round. At batch 1 the "
            "limit is the hand loop instead.",
            "Peak memory is /usr/bin/time -v's maximum resident set: "
            "bpframe's with the training and test sets loaded; PyTorch's "
            "for one process serving all batch sizes of a precision, torch "
            "libraries included.",
            "PyTorch: a plain tensor loop (index a shuffled permutation, "
            "forward, cross_entropy, backward, SGD step); OpenBLAS 2 "
            "threads, OMP_WAIT_POLICY=passive, and in each round 1 and 2 "
            "intra-op threads, the faster shown.",
            "FANN has no ReLU and no softmax: hidden FANN_LINEAR_PIECE "
            "(ReLU clipped at 1, derivative 1 throughout), output "
            "FANN_SIGMOID, squared error (FANN_ERRORFUNC_LINEAR), weights "
            "uniform in [-0.1, 0.1]; fann_train on each sample (its "
            "incremental mode). Its accuracy is therefore not comparable; "
            "its work a sample is.",
            "Hand loop: plain C, -O3 -march=native, the same arithmetic as "
            "bpframe (no skipping of zero gradients); in each round the "
            "fastest of its variants: loops (a pass over each W for the "
            "forward product, another for the carried row and the step), "
            "fused (the first layer's step taken in the next sample's "
            "forward pass: one pass over W1 a sample), blas (OpenBLAS gemv "
            "for the products, on 1 and on 2 threads).",
            "XOR: the paper's 2-2-2 network, binary cross entropy, "
            "sequential order, lr 0.1, rows in order, from the same fixed "
            f"weights. Both train the same {4 * self.xor_epochs()} samples "
            f"({self.xor_epochs()} epochs of 4) a round; bpframe's time "
            "is that run less a run of one epoch "
            "(its start-up), and each of its epochs has its bookkeeping "
            "(a clock reading, a report).",
        ]

    def report(self):
        elapsed = (time.monotonic() - self.start) / 60
        title = "bpframe and its peers" + (
            " (--quick: a tiny slice, one round; the figures mean nothing)"
            if self.quick else "")
        out = [f"## {title}", ""]
        out += [f"- {line}" for line in self.machine]
        if self.torch_version:
            out.append(f"- PyTorch: {self.torch_version}")
        out.append(f"- the whole bench took {elapsed:.1f} minutes")
        loads = (self.start_load, load_average())
        if None not in loads:
            out.append(f"- load average (1 minute) at its start and its "
                       f"end: {loads[0]:.2f}, {loads[1]:.2f} (the bench "
                       f"itself keeps about 1 to 2 of the "
                       f"{os.cpu_count()} cores busy)")
        out += ["", "### Time", ""] + self.time_table()
        out += ["", "### Memory and accuracy", ""] + self.memory_table()
        out.append("")
        for p, s in self.load.items():
            out.append(f"- bpframe {p}: start-up and load of the 60000 "
                       f"training images: {statistics.median(s):.2f} s "
                       f"(the median of {len(s)} runs: the wall time less "
                       "the epochs)")
        for p, s in self.torch_load.items():
            out.append(f"- PyTorch {p}: load of both sets (numpy from the "
                       f"gzip files, then tensors): {s:.2f} s")
        out += ["", "### Targets (issue 4)", ""] + self.targets()
        out += ["", "### Notes", ""]
        out += [f"- {n}" for n in self.xor_checks + self.notes
                + self.fixed_notes()]
        out += [f"- skipped: {s}" for s in self.skipped]
        if self.failures:
            out += ["", "### Failures", ""]
            out += [f"- {f}" for f in self.failures]
        print("\n".join(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="a tiny slice, one round: checks the code paths")
    p.add_argument("--runs", type=int, default=3,
                   help="rounds; each figure is their median (default 3)")
    p.add_argument("--samples", type=int, default=3000,
                   help="training images for batch 1 (default 3000)")
    p.add_argument("--train-samples", type=int, default=0,
                   help="training images for batches 32 and 128 "
                   "(default 0: all 60000)")
    p.add_argument("--quick-samples", type=int, default=200,
                   help="images of each set with --quick (default 200)")
    p.add_argument("--dataset", default=DATASET,
                   help=f"folder of the IDX files (default {DATASET})")
    p.add_argument("--work", required=True,
                   help="scratch folder (drivers, graphs, data)")
    p.add_argument("--bpframe", required=True,
                   help="the bpframe program, double build")
    p.add_argument("--bpframe-float", help="the bpframe program, float "
                   "build")
    args = p.parse_args()
    if (args.runs < 1 or args.samples < 1 or args.quick_samples < 1
            or args.train_samples < 0):
        p.error("runs and sample counts must be at least 1 (0 for all "
                "with --train-samples)")

    bench = Bench(args)
    bench.part("build", bench.build)
    if not bench.failures:
        bench.part("data", bench.prepare_data)
    if bench.failures:
        bench.log("stopping: nothing can be measured")
        for f in bench.failures:
            print(f"bench: failed: {f}", file=sys.stderr)
        return 1
    bench.machine_info()
    bench.part("rounds", bench.rounds)
    bench.part("XOR", bench.xor)
    bench.report()
    if bench.failures:
        print(f"bench: {len(bench.failures)} part(s) failed",
              file=sys.stderr)
        return 1
    bench.log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
