"""SFTP delivery to a real SFTP server (asyncssh's, on loopback)."""

import asyncio
import threading

import asyncssh
import pytest
from django.utils import timezone

from channels.delivery import deliver, pinned_host_key
from channels.queue import enqueue_due_placements
from tests.conftest import SHORT_EPISODE, make_due

USER, PASSWORD = "desk", "drop-secret"


class PasswordServer(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (USER, PASSWORD)


@pytest.fixture
def sftp_server(tmp_path):
    root = tmp_path / "sftp-root"
    root.mkdir()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state = {}

    async def start():
        key = asyncssh.generate_private_key("ssh-ed25519")
        state["server"] = await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[key],
            server_factory=PasswordServer,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root)),
        )
        state["port"] = state["server"].sockets[0].getsockname()[1]
        state["fingerprint"] = key.get_fingerprint("sha256")
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    assert started.wait(10)
    yield root, state["port"], state["fingerprint"]

    async def stop():
        state["server"].close()
        await state["server"].wait_closed()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.fixture
def sftp_placement(make_episode, make_outlet, make_placement, sftp_server):
    _, port, fingerprint = sftp_server
    outlet = make_outlet(
        "radio",
        name="交通广播",
        delivery="sftp",
        delivery_target=(
            f"sftp://{USER}@127.0.0.1:{port}/incoming/kepu?host_key={fingerprint}"
        ),
        delivery_secret=PASSWORD,
    )
    placement = make_placement(make_episode(1, body=SHORT_EPISODE), outlet)
    make_due(placement)
    return placement


def test_package_is_uploaded_whole_to_the_sftp_drop(sftp_placement, sftp_server):
    root, _, _ = sftp_server
    enqueue_due_placements(timezone.now())
    sftp_placement.refresh_from_db()
    assert sftp_placement.status == "delivered", sftp_placement.error
    [folder] = (root / "incoming" / "kepu").iterdir()
    names = sorted(path.name for path in folder.iterdir())
    assert [name.split(".", 1)[1] for name in names] == ["cues.csv", "script.txt"]
    assert not [name for name in names if name.startswith(".part-")]
    assert "台风来临前" in next(folder.glob("*.script.txt")).read_text()


def files_by_identity(folder) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_a_repeated_upload_leaves_the_finished_files_alone(sftp_placement, sftp_server):
    root, _, _ = sftp_server
    enqueue_due_placements(timezone.now())
    sftp_placement.refresh_from_db()
    [folder] = (root / "incoming" / "kepu").iterdir()
    before = files_by_identity(folder)

    receipt = deliver(sftp_placement, list(sftp_placement.outputs.all()))

    assert "已上传" in receipt
    assert files_by_identity(folder) == before


def test_a_different_file_under_the_same_name_is_replaced(sftp_placement, sftp_server):
    root, _, _ = sftp_server
    enqueue_due_placements(timezone.now())
    sftp_placement.refresh_from_db()
    [folder] = (root / "incoming" / "kepu").iterdir()
    script = next(folder.glob("*.script.txt"))
    script.write_text("半截")

    deliver(sftp_placement, list(sftp_placement.outputs.all()))

    assert "台风来临前" in script.read_text()


def test_a_wrong_password_is_retried_with_the_reason(sftp_placement):
    sftp_placement.outlet.delivery_secret = "wrong"
    sftp_placement.outlet.save()
    enqueue_due_placements(timezone.now())
    sftp_placement.refresh_from_db()
    assert sftp_placement.status == "rendered" and sftp_placement.attempts == 1
    assert "SFTP 交付失败" in sftp_placement.error


def test_a_server_with_another_host_key_is_refused(sftp_placement, sftp_server):
    root, port, _ = sftp_server
    outlet = sftp_placement.outlet
    outlet.delivery_target = f"sftp://{USER}@127.0.0.1:{port}/in?host_key=SHA256:forged"
    outlet.save()
    enqueue_due_placements(timezone.now())
    sftp_placement.refresh_from_db()
    assert "主机密钥不符" in sftp_placement.error
    assert not (root / "in").exists()


def test_a_pinned_key_with_plus_signs_is_read_literally():
    assert pinned_host_key("host_key=SHA256:a+b/c&x=1") == "SHA256:a+b/c"
