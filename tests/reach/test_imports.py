"""Short-video figures imported from the platforms' creator-centre exports
(reach.imports): each row accepted or rejected with its reason before
anything is saved, GBK and XLSX read, figures as the apps show them,
re-importing changing nothing, an older export refused."""

import io
import os
from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from channels.models import Placement
from channels.short_video.posts import POSTING
from reach.imports import BadFile, check_file, check_typed, figure_of, save_import
from reach.models import ReachRecord
from reach.platform_exports import EXPORT_COLUMNS

pytestmark = pytest.mark.django_db

DOUYIN_POST = "https://www.douyin.com/video/7301234567890123456"


@pytest.fixture
def account(make_outlet, make_placement, make_article):
    """A Douyin account with two posts on record: one by link, one found by
    its title."""
    outlet = make_outlet("short_video", spec={"platform": "douyin"})
    posts = []
    for title, address in [
        ("疫苗是怎样起作用的", DOUYIN_POST),
        ("台风来了怎么办", "https://v.douyin.com/AbCd123"),
    ]:
        placement = make_placement(
            make_article(title=title, slug=f"p{len(posts)}"), outlet
        )
        Placement.objects.filter(pk=placement.pk).update(
            status=Placement.Status.DELIVERED,
            delivered_at=timezone.now(),
            post_address=address,
            posted_at=timezone.now() - timedelta(days=3),
        )
        posts.append(placement)
    return outlet, posts


def douyin_csv(*rows: tuple, encoding="gbk") -> bytes:
    lines = [
        "作品数据导出（2026-12-01）",
        "作品名称,作品链接,发布时间,播放量,点赞量,评论量,分享量,完播率",
    ]
    lines += [",".join(str(cell) for cell in row) for row in rows]
    return "\n".join(lines).encode(encoding)


GOOD_ROWS = (
    (
        "疫苗是怎样起作用的",
        DOUYIN_POST,
        "2026-11-20 10:00",
        "1.2万",
        "830",
        "41",
        "12",
        "35%",
    ),
    ("台风来了怎么办", "", "2026-11-21 10:00", '"12,345"', "600", "-", "9", "30%"),
)


def test_a_gbk_export_is_checked_row_by_row_before_anything_is_saved(account):
    outlet, posts = account
    data = douyin_csv(
        *GOOD_ROWS,
        (
            "不认识的作品",
            "https://www.douyin.com/video/7309999999999999999",
            "",
            "5",
            "1",
            "0",
            "0",
            "",
        ),
    )
    check = check_file(outlet, timezone.localdate(), "抖音1201.csv", data)
    assert check.metrics == ["plays", "likes", "comments", "shares"]
    assert check.ignored == ["发布时间", "完播率"]
    first, second = check.accepted
    assert (first.post, first.figures) == (
        posts[0],
        {"plays": 12_000, "likes": 830, "comments": 41, "shares": 12},
    )
    assert second.post == posts[1] and second.figures["plays"] == 12_345
    assert "comments" not in second.figures  # "-": not given, not zero
    (unknown,) = check.rejected
    assert unknown.number == 5 and "找不到这条作品的发布记录" in unknown.problem
    assert not ReachRecord.objects.exists()
    assert save_import(check) == 2
    plays = ReachRecord.objects.get(metric="plays", page=posts[0].page)
    assert (plays.value, plays.method, plays.channel) == (
        12_000,
        "imported",
        "short_video",
    )
    assert plays.day == timezone.localdate(
        posts[0].refresh_from_db() or posts[0].posted_at
    )
    assert "抖音1201.csv" in plays.source and plays.inputs["row"] == 3


def test_importing_the_same_file_again_changes_nothing(account):
    outlet, _posts = account
    data = douyin_csv(*GOOD_ROWS, encoding="utf-8-sig")
    save_import(check_file(outlet, timezone.localdate(), "a.csv", data))
    before = list(
        ReachRecord.objects.order_by("key").values_list("key", "value", "recorded_at")
    )
    again = check_file(outlet, timezone.localdate(), "a.csv", data)
    assert [row.outcome for row in again.accepted] == ["unchanged", "unchanged"]
    assert save_import(again) == 0
    after = list(
        ReachRecord.objects.order_by("key").values_list("key", "value", "recorded_at")
    )
    assert after == before


def test_a_later_export_updates_and_an_older_one_is_refused(account):
    outlet, posts = account
    today = timezone.localdate()
    save_import(
        check_file(outlet, today - timedelta(days=1), "a.csv", douyin_csv(*GOOD_ROWS))
    )
    later = douyin_csv(
        ("疫苗是怎样起作用的", DOUYIN_POST, "", "2万", "900", "50", "20", "")
    )
    check = check_file(outlet, today, "b.csv", later)
    assert check.accepted[0].outcome == "updated"
    save_import(check)
    assert ReachRecord.objects.get(metric="plays", page=posts[0].page).value == 20_000
    older = check_file(
        outlet, today - timedelta(days=2), "old.csv", douyin_csv(*GOOD_ROWS)
    )
    assert all("比本文件新" in row.problem for row in older.rejected)
    assert len(older.rejected) == 2


def test_bad_figures_and_duplicates_are_rejected_with_their_reason(account):
    outlet, _posts = account
    rows = [
        ("疫苗是怎样起作用的", DOUYIN_POST, "", "-5", "1", "1", "1", ""),
        ("疫苗是怎样起作用的", DOUYIN_POST, "", "999亿", "1", "1", "1", ""),
        ("疫苗是怎样起作用的", DOUYIN_POST, "", "很多", "1", "1", "1", ""),
        ("台风来了怎么办", "", "", "10", "1", "1", "1", ""),
        ("台风来了怎么办", "", "", "11", "1", "1", "1", ""),
    ]
    check = check_file(outlet, timezone.localdate(), "bad.csv", douyin_csv(*rows))
    reasons = [row.problem for row in check.rows]
    assert "不能为负" in reasons[0] and "不合常理" in reasons[1]
    assert "「很多」不是数字" in reasons[2]
    assert reasons[3] == "" and reasons[4] == "与第 6 行是同一条作品"


def test_an_xlsx_export_is_read_by_its_platforms_columns(
    make_outlet, make_placement, make_article
):
    outlet = make_outlet("short_video", name="B站账号", spec={"platform": "bilibili"})
    placement = make_placement(make_article(), outlet)
    Placement.objects.filter(pk=placement.pk).update(
        status=Placement.Status.DELIVERED,
        post_address="https://www.bilibili.com/video/BV1xx411c7mD",
        posted_at=timezone.now(),
    )
    book = Workbook()
    book.active.append(["BV号", "稿件标题", "播放", "点赞", "评论", "分享", "投币"])
    book.active.append(["BV1xx411c7mD", "另一个标题", 3456, 120, 8, 5, 30])
    buffer = io.BytesIO()
    book.save(buffer)
    check = check_file(outlet, timezone.localdate(), "b.xlsx", buffer.getvalue())
    (row,) = check.accepted
    assert row.figures == {"plays": 3456, "likes": 120, "comments": 8, "shares": 5}
    assert check.ignored == ["投币"]


def test_files_that_cannot_be_read_say_why(account):
    outlet, _posts = account
    today = timezone.localdate()
    with pytest.raises(BadFile, match="既不是 CSV 也不是 XLSX"):
        check_file(outlet, today, "x.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(BadFile, match="XLSX 文件无法打开"):
        check_file(outlet, today, "x.xlsx", b"PK\x03\x04 broken")
    with pytest.raises(BadFile, match="找不到抖音导出文件的表头"):
        check_file(outlet, today, "x.csv", "名字,数量\n甲,1\n".encode())
    with pytest.raises(BadFile, match="晚于今天"):
        check_file(outlet, today + timedelta(days=1), "x.csv", douyin_csv(*GOOD_ROWS))


def test_figures_typed_in_for_one_post(account):
    _outlet, posts = account
    check = check_typed(posts[1], timezone.localdate(), {"plays": 800, "likes": None})
    assert save_import(check) == 1
    record = ReachRecord.objects.get()
    assert (record.metric, record.value) == ("plays", 800)
    assert "手工录入" in record.source


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12,345", 12_345),
        ("1.2万", 12_000),
        ("3亿", 300_000_000),
        ("0", 0),
        ("-", None),
        ("", None),
    ],
)
def test_figures_as_the_apps_show_them(text, value):
    assert figure_of(text) == value


# The admin's import page


def test_the_admin_shows_every_row_before_saving_and_saves_on_confirming(
    admin_client, account
):
    outlet, posts = account
    data = douyin_csv(*GOOD_ROWS, ("不认识的作品", "", "", "5", "1", "0", "0", ""))
    upload = SimpleUploadedFile("抖音1201.csv", data, content_type="text/csv")
    answer = admin_client.post(
        reverse("reach_import:index"),
        {
            "outlet": outlet.pk,
            "as_of": timezone.localdate().isoformat(),
            "file": upload,
        },
    )
    assert answer.status_code == 200
    page = lxml.html.fromstring(answer.content.decode())
    rows = page.xpath("//table[contains(@class,'reach-import')]/tbody/tr")
    assert len(rows) == 3
    assert "找不到这条作品的发布记录" in rows[2].text_content()
    assert "未识别、已忽略的列：发布时间、完播率" in answer.content.decode()
    assert not ReachRecord.objects.exists()  # nothing saved yet
    (token,) = page.xpath("//input[@name='token']/@value")
    done = admin_client.post(
        reverse("reach_import:confirm"), {"token": token}, follow=True
    )
    assert "2 条作品的数据有新增或更新" in done.content.decode()
    assert ReachRecord.objects.filter(metric="plays").count() == 2
    again = admin_client.post(reverse("reach_import:confirm"), {"token": token})
    assert again.status_code == 404  # a token is used once


def test_a_file_that_cannot_be_read_keeps_the_form_and_says_why(admin_client, account):
    outlet, _posts = account
    upload = SimpleUploadedFile(
        "x.csv", "名字,数量\n甲,1\n".encode(), content_type="text/csv"
    )
    answer = admin_client.post(
        reverse("reach_import:index"),
        {
            "outlet": outlet.pk,
            "as_of": timezone.localdate().isoformat(),
            "file": upload,
        },
    )
    assert answer.status_code == 200
    assert "找不到抖音导出文件的表头" in answer.content.decode()
    assert not ReachRecord.objects.exists()


def test_figures_typed_in_the_admin(admin_client, account):
    _outlet, posts = account
    answer = admin_client.post(
        reverse("reach_import:typed"),
        {
            "post": posts[0].pk,
            "as_of": timezone.localdate().isoformat(),
            "plays": "4321",
        },
    )
    assert answer.status_code == 302
    assert ReachRecord.objects.get().value == 4321
    empty = admin_client.post(
        reverse("reach_import:typed"),
        {"post": posts[0].pk, "as_of": timezone.localdate().isoformat()},
    )
    assert "请至少填写一项数据" in empty.content.decode()


def test_an_upload_never_confirmed_is_removed_after_a_day(admin_client, account):
    from reach.import_views import UPLOADS, forget_stale_uploads

    outlet, _posts = account
    upload = SimpleUploadedFile(
        "a.csv", douyin_csv(*GOOD_ROWS), content_type="text/csv"
    )
    today = timezone.localdate().isoformat()

    def uploads() -> set[str]:
        return set(default_storage.listdir(UPLOADS)[1])

    before = uploads() if default_storage.exists(UPLOADS) else set()
    admin_client.post(
        reverse("reach_import:index"),
        {"outlet": outlet.pk, "as_of": today, "file": upload},
    )
    (name,) = uploads() - before
    forget_stale_uploads()
    assert name in uploads()  # kept while fresh
    path = Path(default_storage.path(f"{UPLOADS}/{name}"))
    old = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(path, (old, old))
    forget_stale_uploads()
    assert name not in uploads()


@pytest.mark.parametrize("platform", sorted(EXPORT_COLUMNS))
def test_each_platforms_export_columns_are_read(
    platform, make_outlet, make_placement, make_article
):
    outlet = make_outlet(
        "short_video", name=f"{platform}号", spec={"platform": platform}
    )
    address = POSTING[platform].example
    placement = make_placement(make_article(), outlet)
    Placement.objects.filter(pk=placement.pk).update(
        status=Placement.Status.DELIVERED,
        post_address=address,
        posted_at=timezone.now(),
    )
    columns = EXPORT_COLUMNS[platform]
    metrics = list(columns.metrics)
    header = [
        columns.post[-1],
        columns.title[0],
        *(columns.metrics[m][0] for m in metrics),
    ]
    row = [address, "标题", *(str(100 + n) for n in range(len(metrics)))]
    data = "\n".join(",".join(line) for line in (header, row)).encode("gbk")
    check = check_file(outlet, timezone.localdate(), "export.csv", data)
    (accepted,) = check.accepted
    assert accepted.post.pk == placement.pk
    assert accepted.figures == {m: 100 + n for n, m in enumerate(metrics)}
