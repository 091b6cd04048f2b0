"""Print BFCL multi-turn fidelity: ground truth replayed through gem's BFCL environments vs BFCL's checker.

Usage: python benchmarks/bfcl_fidelity.py [--v3 DIR] [--limit N] [--json PATH]
Reports v4 (bfcl-eval's own data) and, when the folder exists, v3 (default ../shared/data/bfcl_v3).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gem_env.bfcl.fidelity import fidelity_report, format_fidelity

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--v3", default=str(REPO.parent / "shared" / "data" / "bfcl_v3"), help="BFCL v3 data folder")
    ap.add_argument("--limit", type=int, default=None, help="entries per category (default: all)")
    ap.add_argument("--json", default=None, help="also write the reports as JSON here")
    args = ap.parse_args()
    reports = [fidelity_report(None, limit=args.limit)]
    if Path(args.v3).is_dir():
        reports.append(fidelity_report(args.v3, limit=args.limit))
    for rep in reports:
        print(format_fidelity(rep))
        print()
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()
