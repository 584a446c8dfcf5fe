"""MEDIA_STORAGE=s3 stores media in an S3-compatible server (moto's, on loopback)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "kepu-media"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


def test_media_storage_s3_writes_uploads_to_the_bucket(s3_endpoint):
    endpoint, client = s3_endpoint
    script = (
        "import django; django.setup(); "
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import storages; s = storages['default']; "
        "name = s.save('images/科普.txt', ContentFile('台风'.encode())); "
        "print(type(s).__name__, name, s.url(name))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "SECRET_KEY": "storage-test",
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    backend, name, url = result.stdout.split()
    assert backend == "S3Storage"
    assert url.startswith(f"{endpoint}/{BUCKET}/images/") and "Signature" in url
    stored = client.get_object(Bucket=BUCKET, Key=name)["Body"].read()
    assert stored.decode() == "台风"
