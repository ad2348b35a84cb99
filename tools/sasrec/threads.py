"""Pin BLAS / OpenMP thread pools before numpy or torch is imported.

torch.set_num_threads() does not reach the BLAS library Debian's torch links (OpenBLAS,
pthread build), whose own worker thread halved throughput on the shared 2-core VM
(0.60 -> 0.27 s per training batch). Import this module first; it reads --threads N
from the command line (default 1) and sets OMP/OPENBLAS/MKL_NUM_THREADS unless the
environment already sets them.
"""

import os
import sys


def preset(argv=None) -> int:
    argv = sys.argv if argv is None else argv
    n = "1"
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            n = argv[i + 1]
        elif a.startswith("--threads="):
            n = a.split("=", 1)[1]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, n)
    return int(n)


preset()
