"""Lifetime-value fits (BG/NBD and Gamma-Gamma) against ``lifetimes`` 0.11.3, at scale.

    python benchmarks/bench_clv.py                          # CDNOW and 1,000,000 drawn customers
    python benchmarks/bench_clv.py --customers 200000 --repeat 1

Data sets, all in weeks:

- CDNOW: the 2,357-customer summary of Fader, Hardie & Lee (2005), with the mean spend of
  the 946 repeat buyers for Gamma-Gamma;
- drawn, continuous: customers drawn from the BG/NBD process with the parameters fitted to
  CDNOW (rate λ ~ Gamma(r, α), dropout p ~ Beta(a, b), Poisson purchases, dropout after each
  repeat purchase with probability p). Each customer's T is a CDNOW T moved by up to half a
  day either way, so first purchases fall at any time of day and few rows share a triple;
- drawn, daily: the same customers with t_x and T rounded to whole days, so many do.

Spends come from the Gamma-Gamma fitted to CDNOW (ν ~ Gamma(q, γ) per customer, each
purchase ~ Gamma(p, ν)); the daily data set rounds each customer's total spend to the cent.

``lifetimes`` is not a dependency of cxlens: it lives in its own environment, made on first
use in ``benchmarks/.venv-lifetimes`` (``pip install lifetimes==0.11.3``; it rejects pandas
3 Series, so both tools are given numpy arrays). Data go to the children as ``.npy`` files in
``benchmarks/data``. Every fit runs in a fresh child process, so the peak memory (VmHWM) is
that fit's own; the time is the best of ``--repeat`` fits inside the child, after imports and
loading. Both tools' times include their standard errors. ``lifetimes`` scales time before
fitting, so its own log-likelihood is on another scale; the child evaluates it again in
``lifetimes``' own formula at its parameters on the data in weeks.

This is not a test: the machine is shared and seconds vary, so read the ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
LIFETIMES_ENV = HERE / ".venv-lifetimes"
LIFETIMES_PIN = "lifetimes==0.11.3"
CDNOW = (
    HERE.parent / "src" / "cxlens" / "datasets" / "cdnow_customers_summary_with_transactions.csv"
)

MODELS = {"bgnbd": ["r", "alpha", "a", "b"], "gamma_gamma": ["p", "q", "gamma"]}
MB = 1024.0


def lifetimes_python() -> Path:
    """The interpreter of the ``lifetimes`` environment, made on first use."""
    python = LIFETIMES_ENV / "bin" / "python"
    if python.exists() and _imports(python, "lifetimes"):
        return python
    print(f"making {LIFETIMES_ENV.relative_to(HERE.parent)} with {LIFETIMES_PIN} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(LIFETIMES_ENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", LIFETIMES_PIN],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return python


def _imports(python: Path, module: str) -> bool:
    return (
        subprocess.run([str(python), "-c", f"import {module}"], capture_output=True).returncode == 0
    )


def versions(python: Path) -> str:
    """numpy, scipy, pandas and lifetimes versions in an environment, for the heading."""
    code = textwrap.dedent(
        """
        from importlib import metadata
        found = []
        for name in ("numpy", "scipy", "pandas", "autograd", "lifetimes"):
            try:
                found.append(f"{name} {metadata.version(name)}")
            except metadata.PackageNotFoundError:
                pass
        print(", ".join(found))
        """
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return done.stdout.strip()


def write_cdnow(folder: Path) -> str:
    """CDNOW's (x, t_x, T) and mean repeat spend as ``.npy`` files; returns their stem."""
    import numpy as np
    import pandas as pd

    stem = "clv_cdnow"
    summary = pd.read_csv(CDNOW)
    columns = {"x": summary["x"], "t_x": summary["t_x"], "T": summary["T"], "m": summary["zbar"]}
    for name, values in columns.items():
        np.save(folder / f"{stem}_{name}.npy", values.to_numpy())
    return stem


def draw_customers(customers: int, seed: int, folder: Path) -> tuple[list[str], dict]:
    """Draw customers from the BG/NBD and Gamma-Gamma fitted to CDNOW; stems and true params.

    Written once per (customers, seed) and reused.
    """
    import numpy as np

    stems = [f"clv_{customers}_{seed}_continuous", f"clv_{customers}_{seed}_daily"]
    truth_file = folder / f"clv_{customers}_{seed}_truth.json"
    if truth_file.exists() and all((folder / f"{s}_m.npy").exists() for s in stems):
        return stems, json.loads(truth_file.read_text())

    truth = _cdnow_params()
    r, alpha, a, b = (truth["bgnbd"][k] for k in MODELS["bgnbd"])
    p, q, gamma = (truth["gamma_gamma"][k] for k in MODELS["gamma_gamma"])
    rng = np.random.default_rng(seed)

    cdnow_t = np.load(folder / "clv_cdnow_T.npy")
    big_t = np.maximum(rng.choice(cdnow_t, customers) + rng.uniform(-0.5, 0.5, customers) / 7, 0)
    rate = rng.gamma(r, 1 / alpha, customers)
    dropout = np.clip(rng.beta(a, b, customers), 1e-12, 1.0)

    # Purchases in (0, T] if the customer never left, and the repeat purchase after which
    # they leave: they are seen to make the smaller of the two.
    possible = rng.poisson(rate * big_t)
    last = rng.geometric(dropout)
    x = np.minimum(possible, last)

    # Given n Poisson arrivals in (0, T], the k-th lies at T times a Beta(k, n - k + 1) draw.
    repeat = x > 0
    t_x = np.zeros(customers)
    t_x[repeat] = big_t[repeat] * rng.beta(x[repeat], possible[repeat] - x[repeat] + 1)

    # A customer's mean of x spends ~ Gamma(p, ν) is Gamma(p x, ν x).
    nu = rng.gamma(q, 1 / gamma, customers)
    spend = np.zeros(customers)
    spend[repeat] = rng.gamma(p * x[repeat], 1 / (nu[repeat] * x[repeat]))

    days = {"t_x": np.round(t_x * 7) / 7, "T": np.round(big_t * 7) / 7}
    cents = np.where(repeat, np.round(spend * np.maximum(x, 1), 2) / np.maximum(x, 1), 0.0)
    drawn = [
        {"x": x, "t_x": t_x, "T": big_t, "m": spend},
        {"x": x, "t_x": days["t_x"], "T": days["T"], "m": cents},
    ]
    for stem, columns in zip(stems, drawn, strict=True):
        for name, values in columns.items():
            np.save(folder / f"{stem}_{name}.npy", values)
    truth_file.write_text(json.dumps(truth))
    return stems, truth


def _cdnow_params() -> dict:
    """cxlens' BG/NBD and Gamma-Gamma parameters on CDNOW: the truth of the drawn data."""
    import pandas as pd

    from cxlens.models.clv import BgNbd, GammaGamma

    summary = pd.read_csv(CDNOW)
    bgnbd = BgNbd().fit(summary["x"], summary["t_x"], summary["T"])
    spend = GammaGamma().fit(summary["x"], summary["zbar"])
    return {"bgnbd": bgnbd.params_, "gamma_gamma": spend.params_}


def child(python: Path, tool: str, model: str, stem: str, repeat: int) -> dict:
    """Run one tool's fit of one model in a fresh interpreter; return its measurements."""
    code = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(HERE)!r})
        from bench_clv import run_fit
        print(json.dumps(run_fit({tool!r}, {model!r}, {str(DATA / stem)!r}, {repeat})))
        """
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{tool} {model} on {stem} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / MB
    return float("nan")


def run_fit(tool: str, model: str, stem: str, repeat: int) -> dict:
    """Fit ``model`` with ``tool`` ``repeat`` times (called in the child); best time, peak MB."""
    import time
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    x, t_x, big_t, m = (np.load(f"{stem}_{name}.npy") for name in ("x", "t_x", "T", "m"))
    x, t_x, big_t, m = _repeat_buyers(model, x, t_x, big_t, m)
    fit = _ours if tool == "cxlens" else _theirs
    cdnow = (np.load(DATA / f"clv_cdnow_{name}.npy") for name in ("x", "t_x", "T", "m"))
    fit(model, *_repeat_buyers(model, *cdnow))  # untimed: first-call set-up and lazy imports

    loaded_mb = peak_mb()
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        fitted = fit(model, x, t_x, big_t, m)
        best = min(best, time.perf_counter() - began)
        best_cpu = min(best_cpu, time.process_time() - began_cpu)
    params, loglik, rows = _read(tool, model, fitted, x, t_x, big_t, m)
    return {"seconds": best, "cpu_seconds": best_cpu, "peak_mb": peak_mb(), "loaded_mb": loaded_mb,
            "params": params, "log_likelihood": loglik, "customers": len(x),
            "rows": rows}  # fmt: skip


def _repeat_buyers(model, x, t_x, big_t, m):
    """All customers for BG/NBD; only those with a repeat purchase for Gamma-Gamma."""
    if model == "bgnbd":
        return x, t_x, big_t, m
    keep = x > 0
    return x[keep], t_x[keep], big_t[keep], m[keep]


def _ours(model, x, t_x, big_t, m):
    from cxlens.models.clv import BgNbd, GammaGamma

    if model == "bgnbd":
        return BgNbd().fit(x, t_x, big_t)
    return GammaGamma().fit(x, m)


def _theirs(model, x, t_x, big_t, m):
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    if model == "bgnbd":
        return BetaGeoFitter().fit(x, t_x, big_t)
    return GammaGammaFitter().fit(x, m)


def _read(tool, model, fitted, x, t_x, big_t, m) -> tuple[dict, float, int]:
    """Parameters under cxlens' names, the total log-likelihood and the rows fitted."""
    import numpy as np

    if tool == "cxlens":
        return fitted.params_, fitted.log_likelihood_, fitted.n_unique_rows_
    values = fitted.params_.to_numpy()
    params = dict(zip(MODELS[model], values.tolist(), strict=True))
    weights = np.ones(len(x))
    if model == "bgnbd":
        mean = fitted._negative_log_likelihood(np.log(values), x, t_x, big_t, weights, 0.0)
    else:
        mean = fitted._negative_log_likelihood(np.log(values), x, m, weights, 0.0)
    return params, -float(mean) * len(x), len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2005)
    args = parser.parse_args()

    DATA.mkdir(parents=True, exist_ok=True)
    theirs = lifetimes_python()
    ours = Path(sys.executable)
    data_sets = {"CDNOW": write_cdnow(DATA)}
    stems, truth = draw_customers(args.customers, args.seed, DATA)
    data_sets |= {"drawn, continuous": stems[0], "drawn, daily": stems[1]}

    print(f"cxlens:    {versions(ours)}")
    print(f"lifetimes: {versions(theirs)}")
    print(f"{args.customers:,} drawn customers (seed {args.seed}); best of {args.repeat}\n")
    results = []
    for label, stem in data_sets.items():
        for model in MODELS:
            mine = child(ours, "cxlens", model, stem, args.repeat)
            other = child(theirs, "lifetimes", model, stem, args.repeat)
            results.append((label, model, mine, other))

    _print_table(results)
    _print_params(results, truth)


def _print_table(results: list) -> None:
    """Time, memory and log-likelihood of each fit, with speed-up and memory ratio."""
    head = (f"{'data set':18} {'model':11} {'customers':>9} {'rows':>9} {'ours s':>7} "
            f"{'their s':>7} {'speed-up':>8} {'ours MB':>7} {'their MB':>8} {'MB ratio':>8} "
            f"{'ours LL':>14} {'LL ours-theirs':>14}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for label, model, mine, other in results:
        speed_up = other["seconds"] / mine["seconds"]
        memory = mine["peak_mb"] / other["peak_mb"]
        difference = mine["log_likelihood"] - other["log_likelihood"]
        print(
            f"{label:18} {model:11} {mine['customers']:9,} {mine['rows']:9,} "
            f"{mine['seconds']:7.3f} {other['seconds']:7.3f} {speed_up:7.1f}x "
            f"{mine['peak_mb']:7.0f} {other['peak_mb']:8.0f} {memory:7.2f}x "
            f"{mine['log_likelihood']:14.2f} {difference:+14.2e}"
        )
    print("\nCPU seconds (all threads; steadier than wall time on a shared machine), and each")
    print("child's memory after loading, before fitting (MB is the peak, VmHWM):")
    for label, model, mine, other in results:
        speed_up = other["cpu_seconds"] / mine["cpu_seconds"]
        print(f"  {label:18} {model:11} cpu ours {mine['cpu_seconds']:7.3f} s, "
              f"theirs {other['cpu_seconds']:7.3f} s, speed-up {speed_up:5.1f}x; "
              f"loaded ours {mine['loaded_mb']:4.0f} MB, theirs {other['loaded_mb']:4.0f} MB")  # fmt: skip


def _print_params(results: list, truth: dict) -> None:
    """Each tool's parameters, and the true ones of the drawn data."""
    print("\nparameters (truth: what the drawn customers were drawn with)")
    for model, names in MODELS.items():
        print(f"  {model}: {'':26}" + "".join(f"{name:>10}" for name in names))
        print(f"    {'truth':42}" + "".join(f"{truth[model][n]:10.4f}" for n in names))
        for label, fitted_model, mine, other in results:
            if fitted_model != model:
                continue
            for tool, fit in (("cxlens", mine), ("lifetimes", other)):
                row = f"    {label + ', ' + tool:42}"
                print(row + "".join(f"{fit['params'][n]:10.4f}" for n in names))


if __name__ == "__main__":
    main()
