"""`cfamon run`: the whole local stack (embedded servers + the three services) until Ctrl-C."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sys
import time
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli.common import err, fail, out, settings_or_exit
from shared.settings import CommonSettings
from shared.stack.processes import ManagedProcess, http_ok, port_open

if TYPE_CHECKING:  # the local stack is an extra, imported when `run` starts
    from shared.stack.stack import StackEndpoints

SERVICES = ("intake", "aggregator", "notifier")


def _check_free(host: str, ports: dict[str, int]) -> None:
    for what, port in ports.items():
        if port and port_open(host, port):
            fail(f"port {port} ({what}) is in use; stop what holds it or choose another with --{what}-port")


def _start_services(
    host: str, ports: dict[str, int], env: dict[str, str], logs: Path
) -> list[ManagedProcess]:
    started = []
    for name in SERVICES:
        argv = [sys.executable, "-m", "services.cli.main", name, "--host", host, "--port", str(ports[name])]
        process = ManagedProcess(name, argv, logs / f"{name}.log", env)
        started.append(process)
        process.start()
    for process, name in zip(started, SERVICES, strict=True):
        ready_url = f"http://{host}:{ports[name]}/readyz"
        process.wait_until(partial(http_ok, ready_url), timeout=90)
    return started


def _start_simulator(intake_url: str, env: dict[str, str], logs: Path) -> ManagedProcess:
    argv = [sys.executable, "-m", "services.cli.main", "simulate", "--intake-url", intake_url, "--follow"]
    simulator = ManagedProcess("simulator", argv, logs / "simulator.log", env)
    simulator.start()
    return simulator


def _demo_environment(settings: CommonSettings) -> tuple[dict[str, str], str]:
    """Open reads for the demo, and an operator token (the one set, or a new one)."""
    token = (
        settings.operator_token.get_secret_value() if settings.operator_token else secrets.token_urlsafe(32)
    )
    return {"CFA_PUBLIC_READS": "true", "CFA_OPERATOR_TOKEN": token}, token


def _print_endpoints(
    host: str,
    ports: dict[str, int],
    endpoints: StackEndpoints,
    run_dir: Path,
    simulate: bool,
    operator_token: str,
) -> None:
    out.print("[bold]Call for Action Monitor is running[/bold] (Ctrl-C stops everything)")
    for name in SERVICES:
        out.print(f"  {name:<11} http://{host}:{ports[name]}/docs")
    out.print(f"  kafka       {endpoints.kafka_bootstrap_servers}")
    out.print(f"  mongodb     {endpoints.mongodb_url}")
    out.print(f"  smtp sink   {endpoints.smtp_url} (messages kept in {run_dir / 'mail'})")
    out.print(f"  logs        {run_dir / 'logs'}")
    if simulate:
        out.print(f"  simulator   16 field projects reporting (log: {run_dir / 'logs' / 'simulator.log'})")
    out.print(f"  reads are open; operator token: {operator_token}")


def run(
    kafka_port: Annotated[int, typer.Option(help="Kafka (Tansu) port")] = 9092,
    mongodb_port: Annotated[int, typer.Option(help="MongoDB (SecantusDB) port")] = 27017,
    smtp_port: Annotated[int, typer.Option(help="SMTP sink port")] = 1025,
    intake_port: Annotated[int, typer.Option(help="intake HTTP port")] = 8001,
    aggregator_port: Annotated[int, typer.Option(help="aggregator HTTP port")] = 8002,
    notifier_port: Annotated[int, typer.Option(help="notifier HTTP port")] = 8003,
    run_dir: Annotated[Path, typer.Option(help="Data and logs of the local stack")] = Path("run"),
    fresh: Annotated[bool, typer.Option(help="Start from empty storage")] = False,
    simulate: Annotated[
        bool, typer.Option(help="Start `cfamon simulate --follow` too, so there is something to see")
    ] = True,
) -> None:
    """Start Kafka, MongoDB, an SMTP sink and the three services; Ctrl-C stops them all."""
    settings = settings_or_exit(CommonSettings)
    try:
        from shared.stack import EmbeddedStack
    except ImportError as error:
        fail(
            f"the local stack needs the 'local' extra ({error.name} is missing): "
            "pip install 'cfa-monitor[local]'"
        )
    host = "127.0.0.1"
    ports = {
        "kafka": kafka_port,
        "mongodb": mongodb_port,
        "smtp": smtp_port,
        "intake": intake_port,
        "aggregator": aggregator_port,
        "notifier": notifier_port,
    }
    _check_free(host, ports)
    if fresh:
        shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    stack = EmbeddedStack(
        run_dir.resolve(),
        kafka_port,
        mongodb_port,
        smtp_port,
        topic_partitions=settings.topic_partitions,
        topics=settings.topics,
    )
    # SIGTERM stops it as Ctrl-C does, also while it is still starting; and Ctrl-C stops it
    # even when it was started with SIGINT ignored (a shell's `&` in a script does that).
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    services: list[ManagedProcess] = []
    simulator: ManagedProcess | None = None
    failed = False
    try:
        endpoints = stack.start()
        demo, operator_token = _demo_environment(settings)
        env = {**os.environ, **endpoints.environment(), **demo}
        services = _start_services(host, ports, env, run_dir / "logs")
        if simulate:  # not watched: the stack is still useful when the demo data stops
            simulator = _start_simulator(f"http://{host}:{ports['intake']}", env, run_dir / "logs")
        _print_endpoints(host, ports, endpoints, run_dir, simulate, operator_token)
        while not (dead := [p.name for p in services if not p.running()]):
            time.sleep(0.5)
        err.print(f"cfamon: {', '.join(dead)} stopped unexpectedly; see {run_dir / 'logs'}")
        failed = True
    except KeyboardInterrupt:
        pass
    finally:
        out.print("stopping…")
        if simulator is not None:
            simulator.stop()
        for process in reversed(services):
            process.stop()
        stack.stop()
        out.print("stopped")
    if failed:
        raise typer.Exit(1)


def _interrupt(signum: int, _: FrameType | None) -> None:
    raise KeyboardInterrupt
