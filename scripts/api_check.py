"""Keeps openapi/*.yaml true: every route a service registers is documented (and nothing more),
then schemathesis drives each real service from its description: no 5xx, every answer's status,
content type, headers and body as documented, 405 for undocumented methods.

Run by scripts/api-check.sh (which installs schemathesis and builds the binaries) with the tools
venv's Python: `api_check.py TARGET_DIR [--max-examples N]`. Services listen on loopback only.
"""

import argparse
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.request

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi"
# The route every service gets from chassis (chassis/src/metrics.rs).
CHASSIS_ROUTES = {"/metrics"}
# Where each description's routes are registered: `only("/path", …)`, `read_only("/path")`,
# `mount("/prefix")` calls in these crates' route modules.
ROUTE_SOURCES = {
    "details": "details/src",
    "ratings": "ratings/src",
    "reviews": "reviews/src",
    "productpage": "productpage/src/routes",
}
# Whitespace may follow the parenthesis: rustfmt puts a long call's arguments on lines of their own.
ROUTE_CALL = re.compile(r'\b(only|read_only|mount)\(\s*"(/[^"]*)"')
# What schemathesis checks. Left out on purpose: negative_data_rejection and
# positive_data_acceptance, because upstream's id parsing is looser and stricter than any JSON
# Schema can say (ratings reads `0.5` as product 0, as Node's parseInt does; ratings takes only
# integer-valued JSON numbers that fit 64 bits, which `1.0` does not).
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
])
READY_WITHIN_SECONDS = 60


def normalise(path):
    """`/ratings/{rest:.*}` and `/ratings/{id}` are one route: `/ratings/{}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def documented_paths(service):
    spec = yaml.safe_load((OPENAPI / f"{service}.yaml").read_text())
    return {normalise(path) for path in spec["paths"]}


def served_paths(service):
    """(routes served, prefixes mounted): a mounted prefix is documented by itself or as
    `prefix/{}`."""
    exact, mounted = set(CHASSIS_ROUTES), set()
    for source in sorted((ROOT / ROUTE_SOURCES[service]).rglob("*.rs")):
        for call, path in ROUTE_CALL.findall(source.read_text()):
            (mounted if call == "mount" else exact).add(normalise(path))
    return exact, mounted


def route_problems(service):
    documented = documented_paths(service)
    exact, mounted = served_paths(service)
    problems = [f"{service}: {path} is served but not documented" for path in sorted(exact - documented)]
    for prefix in sorted(mounted):
        if not {prefix, prefix + "/{}"} & documented:
            problems.append(f"{service}: {prefix}/… is served but not documented")
    covered = exact | mounted | {prefix + "/{}" for prefix in mounted}
    problems += [f"{service}: {path} is documented but not served" for path in sorted(documented - covered)]
    return problems


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(name, port, process):
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{name} exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{name} was not ready on port {port} within {READY_WITHIN_SECONDS} s")


class Services:
    """The four binaries on loopback, productpage calling the others and reviews calling ratings."""

    def __init__(self, target_dir):
        self.target_dir = target_dir
        self.processes = []

    def start(self, binary, env):
        port = free_port()
        process = subprocess.Popen(
            [str(self.target_dir / binary), str(port)],
            env={"PATH": "/usr/bin:/bin", "RUST_LOG": "warn", **env},
            stdout=subprocess.DEVNULL,
        )
        self.processes.append(process)
        wait_ready(binary, port, process)
        return port

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def schemathesis(service, port, max_examples):
    print(f"==> schemathesis: {service} on port {port}", flush=True)
    command = [
        str(pathlib.Path(sys.executable).parent / "schemathesis"), "run",
        str(OPENAPI / f"{service}.yaml"),
        "--url", f"http://127.0.0.1:{port}",
        "--checks", CHECKS,
        "--max-examples", str(max_examples),
        "--request-timeout", "10",
        "--no-color",
    ]
    return subprocess.run(command, timeout=600).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target_dir", type=pathlib.Path, help="where the debug binaries are")
    parser.add_argument("--max-examples", type=int, default=50)
    args = parser.parse_args()

    problems = [problem for service in ROUTE_SOURCES for problem in route_problems(service)]
    for problem in problems:
        print(problem)
    if problems:
        sys.exit("openapi/: the descriptions and the routes differ")
    print(f"==> openapi/ documents every route of {', '.join(ROUTE_SOURCES)}")

    services = Services(args.target_dir)
    results = {}
    try:
        ratings = services.start("ratings", {})
        details = services.start("details", {})
        backend = {"RATINGS_HOSTNAME": "127.0.0.1", "RATINGS_SERVICE_PORT": str(ratings)}
        reviews_v1 = services.start("reviews", {})
        reviews_v3 = services.start("reviews", {**backend, "ENABLE_RATINGS": "true", "STAR_COLOR": "red"})
        productpage = services.start("productpage", {
            **backend,
            "DETAILS_HOSTNAME": "127.0.0.1", "DETAILS_SERVICE_PORT": str(details),
            "REVIEWS_HOSTNAME": "127.0.0.1", "REVIEWS_SERVICE_PORT": str(reviews_v3),
        })
        for name, service, port in [
            ("ratings", "ratings", ratings),
            ("details", "details", details),
            ("reviews v1", "reviews", reviews_v1),
            ("reviews v3", "reviews", reviews_v3),
            ("productpage", "productpage", productpage),
        ]:
            results[name] = schemathesis(service, port, args.max_examples)
    finally:
        services.stop()
    failed = [name for name, passed in results.items() if not passed]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(f"schemathesis found problems in: {', '.join(failed)}")


if __name__ == "__main__":
    main()
