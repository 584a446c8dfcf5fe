"""Background tasks the log and metrics tests enqueue."""

from django_tasks import task


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def fail() -> None:
    raise ValueError("测试失败")
