"""短视频待发布: the assisted lane's queue for the accounts' operators. Each
rendered post with its downloads, its title and description to copy, the
platform's upload page, and a form to mark it 已发布 with the post's
address; the recently posted below. Posts waiting past their account's time
are flagged on the dashboard."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet

from channels.admin_views import placement_policy
from channels.models import OutputFile, Placement
from channels.short_video.caption import Caption
from channels.short_video.posts import (
    POSTING,
    BadAddress,
    MarkRefused,
    Platform,
    assisted_posts,
    mark_posted,
    overdue_posts,
    post_due_by,
    waiting_posts,
)
from cms.organisations import Scope

RECENTLY_POSTED = 20
PERMISSION = "change"  # marking a post is a change of its placement


@dataclass(frozen=True)
class WaitingPost:
    placement: Placement
    platform: Platform
    files: list[OutputFile]
    caption: Caption | None
    due_by: datetime
    overdue: bool


def caption_file(files: list[OutputFile]) -> Caption | None:
    for output in files:
        if output.name.endswith(".caption.txt"):
            try:
                with output.file.open("rb") as stream:
                    return Caption.read(stream.read().decode())
            except (OSError, UnicodeDecodeError):
                return None  # its download link says the rest
    return None


def waiting(now: datetime, scope: Scope) -> list[WaitingPost]:
    posts = []
    for placement in waiting_posts(scope).prefetch_related("outputs"):
        files = sorted(placement.outputs.all(), key=lambda output: output.name)
        due_by = post_due_by(placement)
        platform = POSTING[placement.outlet.parsed_spec.platform]
        caption = caption_file(files)
        posts.append(
            WaitingPost(placement, platform, files, caption, due_by, due_by < now)
        )
    return posts


class PostsView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    permission_policy = placement_policy
    permission_required = PERMISSION
    template_name = "channels/short_video/posts.html"
    page_title = _("短视频待发布")
    header_icon = "media"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, refused=None, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = Scope.of(self.request.user)
        posted = assisted_posts(scope).exclude(post_address="")
        context.update(
            waiting=waiting(timezone.now(), scope),
            posted=posted.select_related("posted_by").order_by("-posted_at")[
                :RECENTLY_POSTED
            ],
            refused=refused,  # (placement pk, address entered, message)
        )
        return context

    def post(self, request):
        placement_id = request.POST.get("placement", "")
        if not (placement_id.isascii() and placement_id.isdigit()):
            raise Http404
        scope = Scope.of(request.user)
        placement = get_object_or_404(assisted_posts(scope), pk=int(placement_id))
        entered = request.POST.get("post_address", "")
        try:
            address = mark_posted(placement, entered, request.user)
        except BadAddress as error:
            refused = (placement.pk, entered, str(error))
            return self.render_to_response(self.get_context_data(refused=refused))
        except MarkRefused as error:  # marked meanwhile, withdrawn, not made
            messages.error(request, str(error))
            return redirect(request.path)
        message = gettext("「%(title)s」已标记为已发布：%(address)s")
        values = {"title": placement.page.title, "address": address}
        messages.success(request, message % values)
        return redirect(request.path)


class PostsMenuItem(MenuItem):
    def is_shown(self, request):
        return placement_policy.user_has_permission(request.user, PERMISSION)


class OverduePostsPanel(Component):
    name = "overdue_short_video_posts"
    template_name = "channels/short_video/overdue_panel.html"
    order = 40

    def __init__(self, posts: list[Placement]):
        self.posts = posts

    def get_context_data(self, parent_context):
        return {"posts": [(post, post_due_by(post)) for post in self.posts]}


def add_overdue_panel(request, panels) -> None:
    if not placement_policy.user_has_permission(request.user, PERMISSION):
        return
    if posts := overdue_posts(Scope.of(request.user)):
        panels.append(OverduePostsPanel(posts))


class PostsViewSet(ViewSet):
    name = "short_video_posts"
    url_prefix = "channels/short-video"
    icon = "media"
    menu_label = _("短视频待发布")
    menu_item_class = PostsMenuItem

    def on_register(self):
        super().on_register()
        hooks.register("construct_homepage_panels", add_overdue_panel)

    def get_urlpatterns(self):
        return [path("", PostsView.as_view(), name="index")]
