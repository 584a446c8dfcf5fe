"""Delivering a rendered package to an outlet: a folder, SFTP, e-mail or a
signed HTTP webhook. Each method raises DeliveryError with a reason."""

import base64
import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import paramiko
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext

from channels.folders import folder_problem
from channels.models import Outlet, OutputFile, Placement
from channels.outputs import signed_download_url
from cms import outbound

WEBHOOK_DEADLINE_SECONDS = 10  # the whole exchange
WEBHOOK_MAX_ANSWER_BYTES = 64 * 1024  # read, never used
SFTP_TIMEOUT_SECONDS = 15


class DeliveryError(Exception):
    """A delivery that did not happen; the message says why, for the editor."""


def package_folder_name(placement: Placement) -> str:
    return f"{placement.scheduled_at:%Y%m%d}-{placement.pk}-{placement.page.slug}"


def to_folder(placement: Placement, outputs: list[OutputFile]) -> str:
    if problem := folder_problem(placement.outlet.delivery_target):
        raise DeliveryError(problem)
    folder = Path(placement.outlet.delivery_target) / package_folder_name(placement)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for output in outputs:
            with output.file.open("rb") as source:
                write_atomically(folder / output.name, source.read())
    except OSError as error:
        message = gettext("无法写入文件夹 %(folder)s：%(reason)s")
        raise DeliveryError(
            message % {"folder": folder, "reason": error.strerror}
        ) from error
    return gettext("已写入 %(folder)s") % {"folder": folder}


def write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, path)


def to_sftp(placement: Placement, outputs: list[OutputFile]) -> str:
    """Upload to sftp://user@host[:port]/path[?host_key=SHA256:…]; with a
    host_key the server's key must match it (pin it against impostors)."""
    url = urlsplit(placement.outlet.delivery_target)
    remote = f"{url.path.rstrip('/')}/{package_folder_name(placement)}"
    try:
        transport = paramiko.Transport((url.hostname, url.port or 22))
        try:
            transport.start_client(timeout=SFTP_TIMEOUT_SECONDS)
            check_host_key(transport, pinned_host_key(url.query))
            transport.auth_password(
                unquote(url.username or ""), placement.outlet.delivery_secret
            )
            sftp = paramiko.SFTPClient.from_transport(transport)
            make_remote_folder(sftp, remote)
            for output in outputs:
                with output.file.open("rb") as source:
                    partial = f"{remote}/.part-{output.name}"
                    sftp.putfo(source, partial)
                    sftp.posix_rename(partial, f"{remote}/{output.name}")
        finally:
            transport.close()
    except (OSError, paramiko.SSHException) as error:
        message = gettext("SFTP 交付失败（%(host)s）：%(reason)s")
        reason = {"host": url.hostname, "reason": error}
        raise DeliveryError(message % reason) from error
    return gettext("已上传到 %(url)s") % {"url": f"sftp://{url.hostname}{remote}"}


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


def to_email(placement: Placement, outputs: list[OutputFile]) -> str:
    recipients = [a.strip() for a in placement.outlet.delivery_target.split(",")]
    message = EmailMessage(
        subject=f"【科普稿件】{placement.page.title}",
        body=(
            f"{placement.outlet.name}：\n\n附件是 "
            f"{placement.scheduled_at:%Y-%m-%d %H:%M} 刊播的稿件"
            f"《{placement.page.title}》。\n\n{settings.WAGTAIL_SITE_NAME}"
        ),
        to=recipients,
    )
    for output in outputs:
        with output.file.open("rb") as source:
            message.attach(output.name, source.read(), output.mime_type.split(";")[0])
    try:
        message.send()
    except OSError as error:
        failure = gettext("邮件发送失败：%(reason)s")
        raise DeliveryError(failure % {"reason": error}) from error
    return gettext("已发送给 %(recipients)s") % {"recipients": ", ".join(recipients)}


def webhook_body(placement: Placement, outputs: list[OutputFile]) -> bytes:
    page = placement.page
    payload = {
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
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def to_webhook(placement: Placement, outputs: list[OutputFile]) -> str:
    """POST the signed package description; only a 2xx answer from the
    address itself counts: a redirect is not followed and is a failure."""
    outlet = placement.outlet
    body = webhook_body(placement, outputs)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Kepu-Signature": signature(outlet.delivery_secret, body),
        "Idempotency-Key": f"placement-{placement.pk}",
    }
    try:
        answer = outbound.request(
            "POST",
            outlet.delivery_target,
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
    return method(placement, outputs)
