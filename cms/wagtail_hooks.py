from datetime import timedelta

from django.apps import apps
from django.db.models import CharField
from django.db.models.functions import Cast
from django.http import HttpResponseNotFound
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.action_menu import ActionMenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.userbar import ContentCheckerItem
from wagtail.models import Revision
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cms.file_views import can_see_drafts
from cms.organisation_admin import OrganisationViewSet
from cms.page_views import CmsPageViewSet
from cms.pages import ContentPage
from cms.review import SELF_APPROVAL_REFUSED, ScienceReviewTask, is_review_approved
from cms.snippets import Audience, Campaign, Expert, Topic

UPCOMING_DAYS = 7


class ContrastCheckerItem(ContentCheckerItem):
    """Wagtail's checks on the page and in the preview, with colour contrast
    and images without alt text added (WCAG 2.1 AA 1.4.3, 1.1.1): editors
    choose colours and images, and these are theirs to fix."""

    axe_run_only = [*ContentCheckerItem.axe_run_only, "color-contrast", "image-alt"]


@hooks.register("construct_wagtail_userbar")
def check_contrast_too(request, items, page):
    items[:] = [
        ContrastCheckerItem() if isinstance(item, ContentCheckerItem) else item
        for item in items
    ]


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    list_display = ["name", "parent"]
    search_fields = ["name"]


class AudienceViewSet(SnippetViewSet):
    model = Audience
    icon = "group"
    list_display = ["name", "sort_order"]


class CampaignViewSet(SnippetViewSet):
    model = Campaign
    icon = "date"
    list_display = ["name", "start_date", "end_date"]


class ExpertViewSet(SnippetViewSet):
    model = Expert
    icon = "user"
    list_display = ["name", "field", "organisation"]
    search_fields = ["name", "field", "organisation"]


class TaxonomyGroup(SnippetViewSetGroup):
    menu_label = _("分类与专家")
    menu_icon = "folder-open-inverse"
    menu_order = 300
    items = (TopicViewSet, AudienceViewSet, CampaignViewSet, ExpertViewSet)


register_snippet(TaxonomyGroup)


class UpcomingPublicationsPanel(Component):
    """Dashboard panel 即将发布: approved revisions going live in the next week."""

    name = "upcoming_publications"
    template_name = "cms/admin/upcoming_publications.html"
    order = 50

    def __init__(self, user) -> None:
        self.user = user

    def get_context_data(self, parent_context):
        now = timezone.now()
        revisions = (
            Revision.page_revisions.filter(
                approved_go_live_at__gte=now,
                approved_go_live_at__lte=now + timedelta(days=UPCOMING_DAYS),
                object_id__in=page_ids_as_text(pages_of(self.user)),
            )
            .select_related("user")
            .order_by("approved_go_live_at")
        )
        return {"revisions": revisions, "days": UPCOMING_DAYS}


def pages_of(user):
    """The pages the user has any right on (Wagtail's page permissions: an
    organisation's sections, cms.organisation_rights)."""
    return PagePermissionPolicy().instances_user_has_any_permission_for(
        user, ["add", "change", "publish"]
    )


def page_ids_as_text(pages):
    """A subquery of the pages' ids as Revision.object_id holds them (text)."""
    return pages.annotate(id_text=Cast("pk", CharField())).values("id_text")


@hooks.register("insert_global_admin_css")
def admin_css() -> str:
    return format_html('<link rel="stylesheet" href="{}">', static("cms/admin.css"))


@hooks.register("construct_homepage_panels")
def add_upcoming_publications_panel(request, panels):
    panels.append(UpcomingPublicationsPanel(request.user))


def page_class_in_menu(request, context) -> type | None:
    """The page type that the action menu acts on; the create view names it
    only in its URL."""
    if context.get("page") is not None:
        return type(context["page"])
    kwargs = request.resolver_match.kwargs
    if context.get("view") == "create" and "content_type_model_name" in kwargs:
        return apps.get_model(
            kwargs["content_type_app_name"], kwargs["content_type_model_name"]
        )
    return None


@hooks.register("construct_page_action_menu")
def hide_publish_until_reviewed(menu_items, request, context):
    """Content goes live only through the 科学审核 workflow; the Publish button
    is offered only for a revision that review has approved."""
    page_class = page_class_in_menu(request, context)
    if page_class is None or not issubclass(page_class, ContentPage):
        return
    page = context.get("page")
    revision = page.get_latest_revision() if page is not None else None
    if revision is None or not is_review_approved(revision):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


class SelfApprovalRefusedItem(ActionMenuItem):
    """A disabled 批准 that says why: the reviewer edited this revision."""

    name = "action-self-approval-refused"
    label = SELF_APPROVAL_REFUSED
    template_name = "cms/admin/self_approval_refused.html"
    icon_name = "warning"


@hooks.register("construct_page_action_menu")
def explain_refused_self_approval(menu_items, request, context):
    """ScienceReviewTask leaves 批准 out for the revision's own editors; the
    menu tells them so instead of leaving them to look for it."""
    page = context.get("page")
    task = page.current_workflow_task if page is not None else None
    if isinstance(task, ScienceReviewTask) and task.is_refused_approver(
        page, request.user
    ):
        menu_items.append(SelfApprovalRefusedItem())


@hooks.register("register_admin_viewset")
def register_page_viewset():
    """Wagtail registers its base page viewset first (order -1): this one
    replaces it for every page type."""
    return CmsPageViewSet()


@hooks.register("insert_editor_js")
def submit_after_the_autosave():
    """保存草稿 during an autosave waits for it, so that it never posts a page
    that the autosave has just created to the add view again (issue 18)."""
    return format_html('<script src="{}"></script>', static("cms/editor_autosave.js"))


@hooks.register("before_serve_document")
def documents_for_staff_only(document, request):
    """Wagtail's own document view serves the file as stored now: staff only.
    The public reaches documents through cms.file_views.document, whatever
    address leads to Wagtail's view (its pattern takes any Unicode digit)."""
    if not can_see_drafts(request):
        return HttpResponseNotFound()
    return None


@hooks.register("before_unpublish_page")
def take_withdrawal_reason(request, page):
    """The reason typed on the unpublish page travels with the withdrawal."""
    page.withdrawal_reason = request.POST.get("withdrawal_reason", "").strip()[:500]
    page.withdrawn_by = request.user


@hooks.register("register_admin_viewset")
def register_organisations():
    return OrganisationViewSet()
