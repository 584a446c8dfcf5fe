"""Delivering to an outlet: a folder, SFTP, e-mail or a signed HTTP webhook.
What goes is a Shipment: a placement's rendered package, or an advisory
(更正/撤回) about an item the outlet received. Each method raises
DeliveryError with a reason.

A delivery repeated (a worker died mid-way and the lease ran out) reaches its
target at most once, keyed by the shipment's idempotency key: folder and
SFTP write each file under a temporary name and rename it, and leave a
finished file with the same content alone; an e-mail has a Message-ID made
from the key and the outlet and is recorded (SentEmail) before it is sent,
so a repeat is not sent; a webhook sends the key as Idempotency-Key for the
receiver to drop a repeat."""

import base64
import hashlib
import hmac
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import paramiko
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext

from channels.folders import folder_problem
from channels.models import Outlet, OutputFile, Placement, SentEmail
from channels.outputs import signed_download_url
from cms import outbound

WEBHOOK_DEADLINE_SECONDS = 10  # the whole exchange
WEBHOOK_MAX_ANSWER_BYTES = 64 * 1024  # read, never used
SFTP_TIMEOUT_SECONDS = 15
COPY_CHUNK_BYTES = 1024 * 1024


class DeliveryError(Exception):
    """A delivery that did not happen; the message says why, for the editor."""


@dataclass(frozen=True)
class ShipmentFile:
    name: str
    mime_type: str
    open: Callable[[], IO[bytes]]


@dataclass
class Shipment:
    """What one delivery carries to one outlet, in each method's terms."""

    outlet: Outlet
    folder_name: str  # folder and SFTP: the package's own folder
    subject: str  # e-mail
    body: str  # e-mail
    payload: dict[str, Any]  # webhook: the signed JSON body
    idempotency_key: str  # the same for every repeat of this delivery
    files: list[ShipmentFile] = field(default_factory=list)


def package_folder_name(placement: Placement) -> str:
    return f"{placement.scheduled_at:%Y%m%d}-{placement.pk}-{placement.page.slug}"


def placement_shipment(placement: Placement, outputs: list[OutputFile]) -> Shipment:
    page = placement.page
    title = placement.advisory.title if placement.advisory_id else page.title
    heading = placement.notice_heading
    return Shipment(
        outlet=placement.outlet,
        folder_name=package_folder_name(placement),
        subject=f"【{heading or '科普稿件'}】{title}",
        body=(
            f"{placement.outlet.name}：\n\n附件是 "
            f"{placement.scheduled_at:%Y-%m-%d %H:%M} 刊播的{heading or '稿件'}"
            f"《{title}》。\n\n{settings.WAGTAIL_SITE_NAME}"
        ),
        payload={
            "placement": placement.pk,
            "outlet": placement.outlet.name,
            "scheduled_at": placement.scheduled_at.isoformat(),
            "item": {"id": page.pk, "title": page.title, "url": page.full_url},
            "files": [
                {
                    "name": output.name,
                    "mime_type": output.mime_type,
                    "size": output.size,
                    "url": signed_download_url(output),
                }
                for output in outputs
            ],
        },
        idempotency_key=f"placement-{placement.pk}",
        files=[
            ShipmentFile(output.name, output.mime_type, output_opener(output))
            for output in outputs
        ],
    )


def output_opener(output: OutputFile) -> Callable[[], IO[bytes]]:
    return lambda: output.file.open("rb")


def to_folder(shipment: Shipment) -> str:
    if problem := folder_problem(shipment.outlet.delivery_target):
        raise DeliveryError(problem)
    folder = Path(shipment.outlet.delivery_target) / shipment.folder_name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for item in shipment.files:
            path = folder / item.name
            if not holds_already(path, item.open):
                write_atomically(path, item.open)
    except OSError as error:
        message = gettext("无法写入文件夹 %(folder)s：%(reason)s")
        raise DeliveryError(
            message % {"folder": folder, "reason": error.strerror}
        ) from error
    return gettext("已写入 %(folder)s") % {"folder": folder}


def digest(stream: IO[bytes]) -> bytes:
    """SHA-256 of a stream, read a chunk at a time: a package may hold a
    video of gigabytes."""
    hashed = hashlib.sha256()
    while chunk := stream.read(COPY_CHUNK_BYTES):
        hashed.update(chunk)
    return hashed.digest()


def holds_already(path: Path, opener: Callable[[], IO[bytes]]) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as current, opener() as wanted:
        return digest(current) == digest(wanted)


def write_atomically(path: Path, opener: Callable[[], IO[bytes]]) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    with os.fdopen(handle, "wb") as stream, opener() as source:
        shutil.copyfileobj(source, stream, COPY_CHUNK_BYTES)
    os.replace(temporary, path)


def to_sftp(shipment: Shipment) -> str:
    """Upload to sftp://user@host[:port]/path[?host_key=SHA256:…]; with a
    host_key the server's key must match it (pin it against impostors)."""
    url = urlsplit(shipment.outlet.delivery_target)
    remote = f"{url.path.rstrip('/')}/{shipment.folder_name}"
    try:
        transport = paramiko.Transport((url.hostname, url.port or 22))
        try:
            transport.start_client(timeout=SFTP_TIMEOUT_SECONDS)
            check_host_key(transport, pinned_host_key(url.query))
            transport.auth_password(
                unquote(url.username or ""), shipment.outlet.delivery_secret
            )
            sftp = paramiko.SFTPClient.from_transport(transport)
            make_remote_folder(sftp, remote)
            for item in shipment.files:
                final = f"{remote}/{item.name}"
                with item.open() as source:
                    local = digest(source)
                if remote_digest(sftp, final) != local:
                    partial = f"{remote}/.part-{item.name}"
                    with item.open() as source:
                        sftp.putfo(source, partial)
                    sftp.posix_rename(partial, final)
        finally:
            transport.close()
    except (OSError, paramiko.SSHException) as error:
        message = gettext("SFTP 交付失败（%(host)s）：%(reason)s")
        reason = {"host": url.hostname, "reason": error}
        raise DeliveryError(message % reason) from error
    return gettext("已上传到 %(url)s") % {"url": f"sftp://{url.hostname}{remote}"}


def remote_digest(sftp: paramiko.SFTPClient, path: str) -> bytes | None:
    try:
        with sftp.open(path, "rb") as remote:
            return digest(remote)
    except FileNotFoundError:
        return None


def pinned_host_key(query: str) -> str:
    """host_key=SHA256:… from the URL's query, read literally: base64 has '+',
    which form decoding would turn into a space."""
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "host_key":
            return unquote(value)
    return ""


def host_key_fingerprint(key: paramiko.PKey) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def check_host_key(transport: paramiko.Transport, pinned: str) -> None:
    actual = host_key_fingerprint(transport.get_remote_server_key())
    if pinned and pinned != actual:
        message = gettext("主机密钥不符（%(fingerprint)s），已拒绝连接")
        raise paramiko.SSHException(message % {"fingerprint": actual})


def make_remote_folder(sftp: paramiko.SFTPClient, path: str) -> None:
    current = ""
    for part in path.strip("/").split("/"):
        current += f"/{part}"
        try:
            sftp.stat(current)
        except FileNotFoundError:
            sftp.mkdir(current)


def to_email(shipment: Shipment) -> str:
    recipients = [a.strip() for a in shipment.outlet.delivery_target.split(",")]
    return send_email(
        recipients,
        shipment.subject,
        shipment.body,
        f"{shipment.idempotency_key}.outlet-{shipment.outlet.pk}",
        shipment.files,
    )


def stable_message_id(idempotency_key: str) -> str:
    """The same for every repeat of one delivery, whichever node sends it."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "kepu"
    return f"<{idempotency_key}@{domain}>"


def send_email(
    recipients: list[str],
    subject: str,
    body: str,
    idempotency_key: str,
    files: Sequence[ShipmentFile] = (),
) -> str:
    """Send once per idempotency key: the record is written before the mail
    server is asked, and removed only when it refuses."""
    message_id = stable_message_id(idempotency_key)
    message = EmailMessage(
        subject=subject, body=body, to=recipients, headers={"Message-ID": message_id}
    )
    for item in files:
        with item.open() as source:
            message.attach(item.name, source.read(), item.mime_type.split(";")[0])
    record, created = SentEmail.objects.get_or_create(
        message_id=message_id,
        defaults={"recipients": ", ".join(recipients), "subject": subject[:255]},
    )
    if not created:
        already = gettext("此前已发出（%(at)s 记录），不再重发")
        return already % {
            "at": f"{timezone.localtime(record.recorded_at):%Y-%m-%d %H:%M}"
        }
    try:
        message.send()
    except OSError as error:
        record.delete()
        failure = gettext("邮件发送失败：%(reason)s")
        raise DeliveryError(failure % {"reason": error}) from error
    return gettext("已发送给 %(recipients)s") % {"recipients": ", ".join(recipients)}


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def to_webhook(shipment: Shipment) -> str:
    outlet = shipment.outlet
    return post_signed(
        outlet.delivery_target,
        outlet.delivery_secret,
        shipment.payload,
        shipment.idempotency_key,
    )


def post_signed(url: str, secret: str, payload: dict, idempotency_key: str) -> str:
    """POST the signed JSON; only a 2xx answer from the address itself
    counts: a redirect is not followed and is a failure."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Kepu-Signature": signature(secret, body),
        "Idempotency-Key": idempotency_key,
    }
    try:
        answer = outbound.request(
            "POST",
            url,
            headers=headers,
            body=body,
            deadline_seconds=WEBHOOK_DEADLINE_SECONDS,
            max_bytes=WEBHOOK_MAX_ANSWER_BYTES,
            redirects=0,
        )
    except outbound.OutboundError as error:
        message = gettext("回调请求失败：%(reason)s")
        raise DeliveryError(message % {"reason": error.message}) from error
    status = {"status": answer.status}
    if 300 <= answer.status < 400:
        message = gettext(
            "回调返回重定向（HTTP %(status)s），未交付：回调地址须直接应答"
        )
        raise DeliveryError(message % status)
    if not 200 <= answer.status < 300:
        raise DeliveryError(gettext("回调返回 HTTP %(status)s") % status)
    return gettext("回调已接收（HTTP %(status)s）") % status


DELIVERERS = {
    Outlet.Delivery.FOLDER: to_folder,
    Outlet.Delivery.SFTP: to_sftp,
    Outlet.Delivery.EMAIL: to_email,
    Outlet.Delivery.WEBHOOK: to_webhook,
}


def deliver(placement: Placement, outputs: list[OutputFile]) -> str:
    """Push the package where the outlet takes it; an outlet without a push
    target is done once rendered (its desk downloads from the admin)."""
    method = DELIVERERS.get(placement.outlet.delivery)
    if method is None:
        return gettext("已生成，等待编辑下载")
    return method(placement_shipment(placement, outputs))


def ship(shipment: Shipment) -> str | None:
    """Send a shipment the outlet's way; None when the outlet takes nothing
    pushed (its desk downloads, so a person must tell it)."""
    method = DELIVERERS.get(shipment.outlet.delivery)
    return method(shipment) if method else None
