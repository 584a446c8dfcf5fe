"""The many-machine topology on one machine, started from deploy/Procfile:
two gunicorn web processes, two RQ workers and the scheduler over a fresh
PostgreSQL database (reached through a TCP proxy the test can cut), Redis
and moto's S3 server. It shows that a page approved through one web process
is live on the other within a second, that a worker killed mid-delivery
leads to exactly one delivery per target, and that 20 s without the
database leaves every process serving and the queue draining."""

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import boto3
import psycopg
import pytest
import redis
import requests
from django.db import connection
from moto.server import ThreadedMotoServer
from rq import Worker

from tests.cms.test_scheduling import wait_until
from tests.cms.test_storage import free_port
from tests.deploy.seed import REVIEWER_PASSWORD
from tests.redis_db import redis_url
from tests.tcp_proxy import TcpProxy
from tests.webhooks import slow_receiver

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"
    ),
    # One worker runs the module: its deployment is built once.
    pytest.mark.xdist_group("topology"),
]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = redis_url()
BUCKET = "kepu-deploy"
LEASE_SECONDS = 6
TEMPLATE_PREFIX = "kepu_deploy_template_"


def procfile() -> dict[str, str]:
    lines = (ROOT / "deploy" / "Procfile").read_text().splitlines()
    pairs = (line.split(":", 1) for line in lines if line and not line[0] == "#")
    return {name.strip(): command.strip() for name, command in pairs}


@dataclass
class Deployment:
    env: dict[str, str]
    logs: Path
    database: str  # a libpq address of the fresh database, not proxied
    proxy: TcpProxy
    receiver: type
    drop: Path
    seeded: dict = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    web: dict[str, str] = field(default_factory=dict)

    def start(self, name: str, kind: str, **env: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            ["bash", "-c", f"exec {procfile()[kind]}"],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a kill takes its children
        )

    def run(self, command: str) -> str:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            # A guard against a hang, not a speed target: every migration on
            # PostgreSQL while the other suite shares the machine took over
            # 120 s once.
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def all_logs(self) -> str:
        placements = self.sql(
            "SELECT id, status, claimed_until, attempts, error FROM channels_placement"
        )
        return f"{placements}\n" + "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    def sql(self, query: str, *params) -> list[tuple]:
        with psycopg.connect(self.database, autocommit=True) as db:
            cursor = db.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def make_due(self, *names: str) -> None:
        ids = [self.seeded["placements"][name] for name in names]
        self.sql(
            "UPDATE channels_placement SET scheduled_at = now() - interval '1 second'"
            " WHERE id = ANY(%s)",
            ids,
        )

    def deliveries(self, name: str) -> int:
        [(count,)] = self.sql(
            "SELECT count(*) FROM channels_placementevent"
            " WHERE placement_id = %s AND status = 'delivered'",
            self.seeded["placements"][name],
        )
        return count

    def healthy(self, web: str) -> bool:
        try:
            return requests.get(f"{self.web[web]}/healthz", timeout=5).ok
        except requests.RequestException:
            return False


def migrations_digest() -> str:
    packages = ("django", "wagtail", "django-rq", "django-tasks-db", "wagtailmedia")
    digest = hashlib.sha256(" ".join(map(version, packages)).encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def migrated_template(settings: dict, admin: psycopg.Connection) -> str:
    """A database migrated once per set of migrations (a minute on this
    machine), that each run copies in a second. Older ones are dropped."""
    name = f"{TEMPLATE_PREFIX}{migrations_digest()}"
    existing = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s",
        [f"{TEMPLATE_PREFIX}%"],
    ).fetchall()
    if (name,) in existing:
        return name
    for (old,) in existing:
        admin.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
    building = f"{name}_building"
    admin.execute(f'CREATE DATABASE "{building}"')
    url = f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        # REDIS_URL installs django_rq, whose tables the deployment has too.
        env={**os.environ, "DATABASE_URL": f"{url}/{building}", "REDIS_URL": REDIS_URL},
        check=True,
        timeout=600,
    )
    admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


@pytest.fixture(scope="module")
def fresh_database():
    """A new database, never used, with every migration applied."""
    settings = connection.settings_dict
    server = f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']}"
    name = f"kepu_deploy_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        template = migrated_template(settings, admin)
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield settings, name
    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def queue():
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture(scope="module")
def deployment(fresh_database, s3_endpoint, queue, tmp_path_factory):
    settings, name = fresh_database
    proxy = TcpProxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    tmp = tmp_path_factory.mktemp("deploy")
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "SECRET_KEY": "deployment-test",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": f"postgresql://{settings['USER']}@127.0.0.1:{proxy.port}/{name}",
        "REDIS_URL": REDIS_URL,
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "VAR_DIR": str(tmp / "var"),
        "STATIC_ROOT": str(tmp / "static"),
        "WEB_CONCURRENCY": "1",
        "SCHEDULER_INTERVAL_SECONDS": "1",
        "PLACEMENT_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
    with slow_receiver(hold=60) as (webhook_url, receiver):
        logs = tmp / "logs"
        logs.mkdir()
        site = Deployment(
            env=env,
            logs=logs,
            database=f"host={settings['HOST']} port={settings['PORT']} "
            f"user={settings['USER']} dbname={name}",
            proxy=proxy,
            receiver=receiver,
            drop=tmp / "drop",
        )
        site.run(procfile()["release"])
        seed = (
            "from tests.deploy.seed import seed; "
            f"seed({webhook_url!r}, {str(site.drop)!r})"
        )
        seeded = site.run(f"python manage.py shell -v0 -c {seed!r}")
        site.seeded = json.loads(seeded.splitlines()[-1])
        try:
            for web in ("web_a", "web_b"):
                port = free_port()
                site.web[web] = f"http://127.0.0.1:{port}"
                site.start(web, "web", BIND=f"127.0.0.1:{port}")
            site.start("worker_1", "worker")
            site.start("worker_2", "worker")
            site.start("scheduler", "scheduler")
            up = lambda: all(site.healthy(web) for web in site.web)  # noqa: E731
            assert wait_until(up, 60), site.all_logs()
            yield site
        finally:
            site.stop()
            proxy.close()


def approve_through(web: str, page_id: int, task_state: int) -> None:
    """Sign in as the reviewer and press 批准 in the admin of one web process."""
    session = requests.Session()
    session.get(f"{web}/admin/login/", timeout=10)
    signed_in = session.post(
        f"{web}/admin/login/",
        data={
            "username": "shenhe",
            "password": REVIEWER_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    approved = session.post(
        f"{web}/admin/pages/workflow/action/{page_id}/approve/{task_state}/",
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "comment": "内容准确",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert approved.status_code in (200, 302), approved.text[:500]


def test_a_page_approved_on_one_web_process_is_live_on_the_other_within_a_second(
    deployment,
):
    article = deployment.seeded["article"]
    on_b = f"{deployment.web['web_b']}{article['path']}"
    assert requests.get(on_b, timeout=10).status_code == 404  # and cached, if cached

    approve_through(deployment.web["web_a"], article["id"], article["task_state"])

    def live_on_b() -> bool:
        answer = requests.get(on_b, timeout=1)
        return answer.status_code == 200 and "地震来了怎么办" in answer.text

    deadline = time.monotonic() + 1
    while not live_on_b():
        assert time.monotonic() < deadline, "not live on web B within a second"
        time.sleep(0.05)


def worker_running(queue, placement_id: int) -> int:
    """The pid of the RQ worker running this placement's task (0: none)."""
    for worker in Worker.all(connection=queue):
        job = worker.get_current_job()
        if job is not None and job.args and job.args[0] == placement_id:
            return worker.pid
    return 0


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_worker_killed_mid_delivery_leads_to_one_delivery_per_target(
    deployment, queue
):
    receiver = deployment.receiver
    hook = deployment.seeded["placements"]["webhook-1"]
    deployment.make_due("webhook-1", "folder-1")
    assert wait_until(lambda: receiver.received, 30), deployment.all_logs()
    pid = worker_running(queue, hook)
    [killed] = [name for name, p in deployment.processes.items() if p.pid == pid]

    for dying in (pid, *children(pid)):  # RQ's work-horse has its own group
        os.kill(dying, signal.SIGKILL)

    def delivered() -> bool:
        return all(deployment.deliveries(n) for n in ("webhook-1", "folder-1"))

    assert killed.startswith("worker_")
    assert wait_until(delivered, 60), deployment.all_logs()
    assert len(receiver.received) == 2  # the killed worker's and the repeat
    assert {request["key"] for request in receiver.received} == {f"placement-{hook}"}
    assert [deployment.deliveries(n) for n in ("webhook-1", "folder-1")] == [1, 1]
    [package] = deployment.drop.iterdir()
    assert sorted(p.name.split(".", 1)[1] for p in package.iterdir()) == [
        "cues.csv",
        "script.txt",
    ]


def test_twenty_seconds_without_the_database_leave_every_process_serving(
    deployment,
):
    running = [n for n, p in deployment.processes.items() if p.poll() is None]
    deployment.proxy.cut()
    time.sleep(3)
    assert not deployment.healthy("web_a")  # the outage is real
    time.sleep(17)
    deployment.proxy.restore()

    back = lambda: all(deployment.healthy(web) for web in deployment.web)  # noqa: E731
    assert wait_until(back, 45), deployment.all_logs()
    assert [n for n in running if deployment.processes[n].poll() is not None] == []

    deployment.make_due("webhook-2", "folder-2")

    def drained() -> bool:
        return all(deployment.deliveries(n) for n in ("webhook-2", "folder-2"))

    assert wait_until(drained, 45), deployment.all_logs()
    article = deployment.seeded["article"]
    for web in deployment.web.values():
        assert requests.get(f"{web}{article['path']}", timeout=10).status_code == 200
