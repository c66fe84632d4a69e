#!/usr/bin/env python3
"""The PyTorch peer of our StyleBank training steps (`make bench`; issue #15).

    python3 scripts/bench_train_peer.py --models data/models --train train-step.safetensors \\
        --learn learn-step.safetensors [--repeats 5] [--threads 2] [--out train-peer.json]

--train and --learn are the files `atelier profile --network stylebank-train|stylebank-learn
--size S --step-file FILE` writes (ProfileStepFile.swift): the content crop, the style image, the
parameters the step uses and the losses and gradients our core computed from them.
For each file this script

  1. builds the same network and losses in PyTorch (scripts/stylebank_torch.py) on those
     parameters and inputs, and checks that the style image's Gram targets, the losses (content,
     style, tv, total; identity when training) and the gradient norm agree with ours within
     --tolerance (1e-3) relative, and all the gradients together within --gradient-tolerance
     (1e-2); a disagreement stops it with exit status 1, before any timing;
  2. times the steps, each as one warm-up then the median of --repeats:
       train   a stylizing step (forward, backward, Adam on the auto-encoder and the bank) and an
               auto-encoder step (identity loss, its own Adam), and their cycle as StyleBankTrainer
               runs it (T = 2 stylizing steps, then one auto-encoder step) for the same mix of
               steps `atelier profile --network stylebank-train` averages;
       learn   a new style's step: the auto-encoder fixed, only the bank is trained;
     then the same steps cut into phases at the network's joints (backward stage by stage, the
     same work), for the phase table beside ours.

PyTorch runs on the CPU with torch.set_num_threads(--threads), 2 by default: the cores our core
uses on the 2-core benchmark machine; its OpenMP threads wait passively (--omp-wait-policy).
"""
import argparse
import os
import sys
import time
import warnings


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="data/models", help="folder holding vgg16.safetensors")
    p.add_argument("--train", help="step file of stylebank-train")
    p.add_argument("--learn", help="step file of stylebank-learn")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tolerance", type=float, default=1e-3, help="for the losses, the gradient norm and the Gram targets")
    p.add_argument("--gradient-tolerance", type=float, default=1e-2,
                   help="for all the gradients as one vector: float32 rounding through VGG and instance norm "
                        "differs more there (about 1e-3 on a new style's bank against a float64 reference)")
    p.add_argument("--omp-wait-policy", default="passive", choices=["passive", "active", "unset"],
                   help="OMP_WAIT_POLICY for PyTorch's OpenMP threads (unset: the runtime's default, which spins): "
                        "on a machine whose cores other work shares, spinning threads wait for a descheduled "
                        "one at every parallel op, and a 256² new-style step took 4.9 s instead of 2.1 s")
    p.add_argument("--check-only", action="store_true", help="check the losses, time nothing")
    p.add_argument("--out", help="write the results here as JSON (default: stdout)")
    return p.parse_args()


args = parse_args()
os.environ["OMP_NUM_THREADS"] = str(args.threads)   # both read when torch loads
if args.omp_wait_policy != "unset":
    os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")   # torch runs here without numpy

import torch                                   # noqa: E402
import torch.nn.functional as F                # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_timing import median_seconds, write_results   # noqa: E402
from stylebank_torch import StyleBank, VGGLoss, Losses, chain, gram, read_safetensors   # noqa: E402


class Clock:
    """Adds each `with clock(name):` block's wall time to its phase."""
    def __init__(self):
        self.seconds = {}

    def __call__(self, name):
        self.name = name
        return self

    def __enter__(self):
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        self.seconds[self.name] = self.seconds.get(self.name, 0) + time.perf_counter() - self.start
        return False


class Peer:
    """One step file's network, losses and optimizers in PyTorch."""
    def __init__(self, path, vgg):
        tensors, self.meta = read_safetensors(path)
        self.learn = self.meta["mode"] == "learn"
        self.x, self.style_image = tensors["content"], tensors["style_image"]
        self.ours = {k[5:]: v for k, v in tensors.items() if k.startswith("gram.")}
        self.ours_grads = {k[5:]: v for k, v in tensors.items() if k.startswith("grad.")}
        self.p = {k[6:]: v for k, v in tensors.items() if k.startswith("param.")}
        self.net = StyleBank(set(self.p), self.meta["style_id"])
        self.autoencoder = [v for k, v in self.p.items() if k.startswith(("encoder.", "decoder."))]
        self.bank = [v for k, v in self.p.items() if k.startswith("bank.")]
        for v in self.bank:
            v.requires_grad_(True)
        for v in self.autoencoder:
            v.requires_grad_(not self.learn)
        style_layers = self.meta["style_layers"].split(",")
        with torch.no_grad():
            self.targets = {k: gram(f) for k, f in vgg(self.style_image, set(style_layers)).items()}
        self.loss = Losses(vgg, self.meta, self.targets)
        lr = float(self.meta["learning_rate"])
        adam = lambda params: torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
        self.bank_adam = adam(self.bank)
        if not self.learn:
            self.autoencoder_adam, self.identity_adam = adam(self.autoencoder), adam(self.autoencoder)

    # --- the steps, as one autograd graph each (what is timed as the step) -----------------
    def stylizing_losses(self):
        net, p = self.net, self.p
        if self.learn:
            with torch.no_grad():
                e = chain(net.encoder, p, self.x)
        else:
            e = chain(net.encoder, p, self.x)
        y = chain(net.decoder, p, chain(net.bank, p, e))
        return self.loss(self.x, y)

    def stylizing_step(self):
        for opt in self.optimizers():
            opt.zero_grad(set_to_none=True)
        total, parts = self.stylizing_losses()
        total.backward()
        for opt in self.optimizers():
            opt.step()
        return total, parts

    def optimizers(self):
        return [self.bank_adam] if self.learn else [self.autoencoder_adam, self.bank_adam]

    def identity_loss(self):
        net, p = self.net, self.p
        return F.mse_loss(chain(net.decoder, p, chain(net.encoder, p, self.x)), self.x)

    def identity_step(self):
        self.identity_adam.zero_grad(set_to_none=True)
        loss = self.identity_loss()
        loss.backward()
        self.identity_adam.step()
        return loss

    # --- the same stylizing step cut at the network's joints, for the phase table ----------
    def stylizing_phases(self, clock):
        net, p, train = self.net, self.p, not self.learn
        for opt in self.optimizers():
            opt.zero_grad(set_to_none=True)
        with clock("encoder"), torch.set_grad_enabled(train):
            e = chain(net.encoder, p, self.x)
        e_in = e.detach().requires_grad_(train)
        with clock("bank"):
            b = chain(net.bank, p, e_in)
        b_in = b.detach().requires_grad_(True)
        with clock("decoder"):
            y = chain(net.decoder, p, b_in)
        y_in = y.detach().requires_grad_(True)
        total, _ = self.loss(self.x, y_in, clock)
        with clock("vgg ∂x + tv ∂x"):
            total.backward()
        with clock("decoder ∂x ∂w" if train else "decoder ∂x"):
            y.backward(y_in.grad)
        with clock("bank ∂x ∂w" if train else "bank ∂w"):
            b.backward(b_in.grad)
        if train:
            with clock("encoder ∂w"):
                e.backward(e_in.grad)
        with clock("adam"):
            for opt in self.optimizers():
                opt.step()

    def identity_phases(self, clock):
        net, p = self.net, self.p
        self.identity_adam.zero_grad(set_to_none=True)
        with clock("identity: encoder"):
            e = chain(net.encoder, p, self.x)
        e_in = e.detach().requires_grad_(True)
        with clock("identity: decoder"):
            y = chain(net.decoder, p, e_in)
            loss = F.mse_loss(y, self.x)
        with clock("identity: decoder ∂x ∂w"):
            loss.backward()
        with clock("identity: encoder ∂w"):
            e.backward(e_in.grad)
        with clock("identity: adam"):
            self.identity_adam.step()


def relative(a, b):
    return abs(a - b) / max(abs(b), 1e-30)


def check(peer, tolerance, gradient_tolerance):
    """Our numbers beside PyTorch's on the file's parameters, before any step changes them."""
    rows = []
    for layer, ours in peer.ours.items():
        theirs = peer.targets[layer]
        rows.append((f"gram {layer} (norm of the difference / norm)", float((theirs - ours).norm() / ours.norm()), 0.0))
    total, parts = peer.stylizing_losses()
    for name in ["content", "style", "tv"]:
        rows.append((name, float(parts[name].detach()), float(peer.meta[name])))
    rows.append(("total", float(total.detach()), float(peer.meta["total"])))
    trained = peer.bank if peer.learn else peer.bank + peer.autoencoder
    grads = torch.autograd.grad(total, trained)
    rows.append(("grad_norm", float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads))), float(peer.meta["grad_norm"])))
    # All the gradients as one vector: the difference's norm over ours.
    names = [next(k for k, v in peer.p.items() if v is t) for t in trained]
    ours_grads = [peer.ours_grads[n] for n in names]
    difference = torch.sqrt(sum(((g - o).double() ** 2).sum() for g, o in zip(grads, ours_grads)))
    rows.append(("gradients (norm of the difference / norm)", float(difference) / float(peer.meta["grad_norm"]), 0.0))
    # The single tensor that differs most for its size, among those above 1e-6 of the whole norm:
    # some are ~0 in exact arithmetic (a residual block's last β, whose constant the next instance
    # norm removes), and both sides hold rounding noise there.
    worst = max(({"name": n, "relative": float((g - o).norm() / o.norm().clamp_min(1e-30)),
                  "share_of_norm": float(o.norm()) / float(peer.meta["grad_norm"])}
                 for n, g, o in zip(names, grads, ours_grads)
                 if float(o.norm()) >= 1e-6 * float(peer.meta["grad_norm"])), key=lambda r: r["relative"])
    if not peer.learn:
        rows.append(("identity", float(peer.identity_loss().detach()), float(peer.meta["identity"])))
    result, failed = [], []
    for name, theirs, ours in rows:
        if "norm of the difference" in name:
            rel, line = theirs, f"  {name:<48} {theirs:.2e}"
        else:
            rel = relative(theirs, ours)
            line = f"  {name:<48} ours {ours:.7g}  pytorch {theirs:.7g}  relative {rel:.2e}"
        ok = rel <= (gradient_tolerance if name.startswith("gradients") else tolerance)
        print(line + ("" if ok else "   <-- DISAGREES"), file=sys.stderr)
        result.append({"name": name, "ours": ours, "pytorch": theirs, "relative": rel, "ok": ok})
        if not ok:
            failed.append(name)
    print(f"  most different single gradient (not checked): {worst['name']}, relative difference {worst['relative']:.2e}, "
          f"its norm {worst['share_of_norm']:.1e} of the whole gradient's", file=sys.stderr)
    return {"rows": result, "worst_gradient": worst}, failed


def phase_table(repeats, body):
    """Median per phase over `repeats` runs of `body(clock)` after one warm-up."""
    body(Clock())
    runs = []
    for _ in range(max(1, repeats)):
        clock = Clock()
        body(clock)
        runs.append(clock.seconds)
    return [[name, sorted(r[name] for r in runs)[len(runs) // 2]] for name in runs[0]]


def time_steps(peer, repeats):
    if peer.learn:
        step = median_seconds(repeats, peer.stylizing_step)
        phases = phase_table(repeats, peer.stylizing_phases)
        print(f"  new-style step: {step * 1000:.1f} ms", file=sys.stderr)
        return {"step_s": step, "phases": phases}
    stylizing = median_seconds(repeats, peer.stylizing_step)
    identity = median_seconds(repeats, peer.identity_step)
    cycle = (2 * stylizing + identity) / 3
    phases = phase_table(repeats, peer.stylizing_phases) + phase_table(repeats, peer.identity_phases)
    print(f"  stylizing step {stylizing * 1000:.1f} ms, auto-encoder step {identity * 1000:.1f} ms, "
          f"cycle mean {cycle * 1000:.1f} ms per step", file=sys.stderr)
    return {"stylizing_s": stylizing, "identity_s": identity, "step_s": cycle, "phases": phases}


def print_phases(phases):
    total = sum(s for _, s in phases)
    for name, s in phases:
        print(f"  {name:<26} {s * 1000:9.2f} ms {100 * s / total:5.1f}%", file=sys.stderr)
    print(f"  {'total':<26} {total * 1000:9.2f} ms", file=sys.stderr)


def main():
    torch.set_num_threads(args.threads)
    vgg_weights, _ = read_safetensors(os.path.join(args.models, "vgg16.safetensors"))
    vgg = VGGLoss(vgg_weights)
    results = {"meta": {"torch": torch.__version__, "threads": torch.get_num_threads(), "repeats": args.repeats,
                        "warmup": 1, "statistic": "median", "tolerance": args.tolerance,
                        "gradient_tolerance": args.gradient_tolerance,
                        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
                        "mkldnn": torch.backends.mkldnn.is_available(), "cuda_used": False}}
    peers = [(kind, path) for kind, path in [("train", args.train), ("learn", args.learn)] if path]
    if not peers:
        sys.exit("bench_train_peer: give --train and/or --learn step files")
    loaded = []
    for kind, path in peers:
        peer = Peer(path, vgg)
        if (kind == "learn") != peer.learn:
            sys.exit(f"bench_train_peer: {path} is a {peer.meta['mode']} step file, given as --{kind}")
        print(f"{kind}: {peer.net.description}, {peer.meta['size']}² crop, loss weights {peer.meta['loss_weights']}; "
              f"ours vs PyTorch (tolerance {args.tolerance:g} relative)", file=sys.stderr)
        checked, failed = check(peer, args.tolerance, args.gradient_tolerance)
        if failed:
            sys.exit(f"bench_train_peer: {kind}: PyTorch and our core disagree on {', '.join(failed)}; not timing")
        results[kind] = {"check": checked, "size": int(peer.meta["size"]), "loss_weights": peer.meta["loss_weights"]}
        loaded.append((kind, peer))
    if not args.check_only:
        for kind, peer in loaded:
            print(f"{kind}: timing (torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY "
                  f"{results['meta']['omp_wait_policy']}, median of {args.repeats})", file=sys.stderr)
            results[kind].update(time_steps(peer, args.repeats))
            print_phases(results[kind]["phases"])
    write_results(results, args.out)


if __name__ == "__main__":
    main()
