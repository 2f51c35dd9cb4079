"""How much an image rebuild costs after a one-line change, against a clean build.

Runs on the host, not under Bazel (it drives Bazel): ``python3 bench/images/rebuild.py``.
In a throwaway clone of HEAD, with its own Bazel output base and no disk cache:

1. a clean build of the target, profiled;
2. ``--rounds`` times: a one-line change to a first-party source file, and a rebuild,
   profiled (the median round is reported: the machine is shared and noisy);
3. the change reverted and a rebuild: the image digest must be the clean build's again.

Bazel's profile gives each build's critical path and the time of every action; the
figures, the image digest and its layers' gzipped sizes go to ``bench/images/results.json``
(``--record``; ``--output`` for another file). The Analytics pair, FastAPI and Express:

    python3 bench/images/rebuild.py --target //services/analytics:image \
        --change services/analytics/api.py --record --output bench/images/analytics.json
    python3 bench/images/rebuild.py --target //services/analytics-express:image \
        --change services/analytics-express/src/app.js --comment // \
        --record --output bench/images/analytics-express.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass
class Build:
    elapsed_s: float
    critical_path_s: float
    actions: dict[str, float] = field(default_factory=dict)  # progress message -> seconds


def read_profile(path: Path) -> tuple[float, dict[str, float]]:
    """Critical path and per-action durations from Bazel's JSON trace profile."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt") as stream:
        events = json.load(stream)["traceEvents"]
    critical = sum(
        event.get("dur", 0) for event in events if event.get("cat") == "critical path component"
    )
    actions: dict[str, float] = {}
    for event in events:
        if event.get("cat") == "action processing" and "dur" in event:
            name = event.get("name", "?")
            actions[name] = actions.get(name, 0) + event["dur"] / 1e6
    return critical / 1e6, dict(sorted(actions.items(), key=lambda item: -item[1]))


class Clone:
    def __init__(self, root: Path) -> None:
        self.root = root
        subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(REPOSITORY), str(root)], check=True
        )

    def bazel(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [str(self.root / "tools" / "bazel"), *args],
            cwd=self.root,
            check=True,
            text=True,
            capture_output=capture,
        )
        return result.stdout if capture else ""

    def build(self, target: str, name: str) -> Build:
        profile = self.root / f"{name}.profile.json"
        started = time.monotonic()
        # No disk cache: every action of the build really runs.
        self.bazel("build", target, "--disk_cache=", f"--profile={profile}", "--noshow_progress")
        elapsed = time.monotonic() - started
        critical, actions = read_profile(profile)
        return Build(
            round(elapsed, 2), round(critical, 3), {k: round(v, 3) for k, v in actions.items()}
        )

    def digest(self, target: str) -> str:
        package, _, name = target.partition(":")
        index = self.root / "bazel-bin" / package.lstrip("/") / name / "index.json"
        return json.loads(index.read_text())["manifests"][0]["digest"]

    def layers(self, target: str) -> list[dict[str, object]]:
        """The image's layers as its manifest lists them, with their gzipped sizes: base,
        then third-party (site-packages or node_modules), then the service's own files, as
        fastapi_service and express_service stack them."""
        package, _, name = target.partition(":")
        layout = self.root / "bazel-bin" / package.lstrip("/") / name
        digest = self.digest(target).removeprefix("sha256:")
        manifest = json.loads((layout / "blobs" / "sha256" / digest).read_text())
        names = ["base", "third-party", "app"]
        if len(manifest["layers"]) != len(names):
            names = [f"layer {i}" for i in range(len(manifest["layers"]))]
        return [
            {"layer": layer_name, "gzip_bytes": layer["size"], "digest": layer["digest"]}
            for layer_name, layer in zip(names, manifest["layers"], strict=True)
        ]

    def close(self) -> None:
        output_base = self.bazel("info", "output_base", capture=True).strip()
        self.bazel("shutdown")
        shutil.rmtree(output_base, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", default="//services/template:image")
    parser.add_argument("--change", default="services/template/api.py", help="file to change")
    parser.add_argument("--rounds", type=int, default=5, help="one-line rebuilds to make")
    parser.add_argument("--comment", default="#", help="what starts a comment in that file")
    parser.add_argument(
        "--record", action="store_true", help=f"write the results (default {RESULTS.name})"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="where --record writes the results"
    )
    args = parser.parse_args(argv)

    clone = Clone(Path(tempfile.mkdtemp(prefix="rebuild-bench-")) / "repo")
    try:
        # Fetch external repositories first, so the clean build measures building.
        clone.bazel("fetch", args.target)
        clean = clone.build(args.target, "clean")
        digest = clone.digest(args.target)
        layers = clone.layers(args.target)
        changed = clone.root / args.change
        original = changed.read_text()
        rebuilds = []
        for round_number in range(args.rounds):
            changed.write_text(original + f"{args.comment} one more line, round {round_number}\n")
            rebuilds.append(clone.build(args.target, f"rebuild{round_number}"))
        changed_digest = clone.digest(args.target)
        changed.write_text(original)
        clone.build(args.target, "revert")
        reverted_digest = clone.digest(args.target)
    finally:
        clone.close()

    rebuild = sorted(rebuilds, key=lambda build: build.critical_path_s)[len(rebuilds) // 2]
    ratio = rebuild.critical_path_s / clean.critical_path_s
    results = {
        "target": args.target,
        "changed_file": args.change,
        "clean": asdict(clean),
        "one_line_rebuild": asdict(rebuild),
        "one_line_rebuild_critical_paths_s": [build.critical_path_s for build in rebuilds],
        "critical_path_ratio": round(ratio, 4),
        "digest": digest,
        "layers": layers,
        "digest_after_change": changed_digest,
        "digest_after_revert_equals_clean": reverted_digest == digest,
    }
    for name, build in (("clean build", clean), ("one-line rebuild (median)", rebuild)):
        print(
            f"{name + ':':27}{build.elapsed_s:6.2f} s elapsed, "
            f"critical path {build.critical_path_s:.3f} s"
        )
    print(f"ratio of critical paths: {ratio:.1%}")
    for name, seconds in rebuild.actions.items():
        print(f"  rebuild action {seconds:7.3f} s  {name}")
    for layer in layers:
        print(f"  layer {layer['layer']:12} {layer['gzip_bytes'] / 1e6:8.2f} MB gzipped")
    print(f"digest {digest}; after revert the same: {reverted_digest == digest}")
    if args.record:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if reverted_digest == digest else 1


if __name__ == "__main__":
    sys.exit(main())
