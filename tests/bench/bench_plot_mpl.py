#!/usr/bin/python3
"""bench_plot_mpl.py: matplotlib drawing the points bench_plot.c draws, for comparison.

usage: bench_plot_mpl.py SAMPLES OUT.png RUNS

The same samples (100 Hz, sin(k * 3.1415926e-6) + 0.05 * sin(k * 0.7)), x as seconds (a
float array: matplotlib's fastest path, no date conversion), one line, 1200x400 pixels,
the Agg backend with its defaults (path simplification on).  Timed: plot() and savefig();
not timed: making the arrays.  Prints one line in bench_plot's words.
"""
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    n, out, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    k = np.arange(n, dtype=np.float64)
    t = k * 0.01
    v = np.sin(k * 3.1415926e-6) + 0.05 * np.sin(k * 0.7)
    times = []
    for _ in range(runs):
        a = time.perf_counter()
        fig, ax = plt.subplots(figsize=(12, 4), dpi=100)
        ax.plot(t, v, linewidth=1.0)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("SA_ZBENCH [V]")
        fig.savefig(out, dpi=100)
        plt.close(fig)
        times.append(time.perf_counter() - a)
    times.sort()
    print("matplotlib %s (Agg) %d samples -> 1200x400: best %.3f s, median %.3f s"
          % (matplotlib.__version__, n, times[0], times[len(times) // 2]))


if __name__ == "__main__":
    main()
