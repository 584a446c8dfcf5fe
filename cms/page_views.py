"""Wagtail's page views with three changes: the add view's late slug refusal
is a form error, not a 500 (below), a review action taken from the dashboard
says what it did (WorkflowActionView), and the edit view shows the side
panels the apps above cms add (EditView).

The add view:
Wagtail's add view checks that the slug is free while it validates the form,
and the page checks again when add_child saves it. Two requests creating a
page under one parent at once (a new page's autosave and its 保存草稿 posted
before the autosave's answer came back, or two tabs) can both pass the first
check; the one that saves second is refused by the page's own check with a
ValidationError that Wagtail's view does not catch. Here that refusal is shown
as the form error the first check would have given, on the form as the editor
filled it. Nothing has been written by then: add_child is one transaction and
the page checks itself before its insert.

The editor's script (cms/static/cms/editor_autosave.js) keeps the autosave and
保存草稿 from racing in the first place; this is the server's half, for any
pair of requests.
"""

from django.core.exceptions import ValidationError
from django.forms import Form
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.utils import get_latest_str
from wagtail.admin.views.pages import create, edit, workflow
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.models import TaskState


class CreateView(create.CreateView):
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as refusal:
            if self.page.pk is not None:  # created: refused by a later step
                raise
            add_errors(form, refusal)
            form.restore_required_fields()
            return self.form_invalid(form)


def add_errors(form: Form, refusal: ValidationError) -> None:
    """The model's errors on the form's fields, or above the form for a
    field the form does not show."""
    if not hasattr(refusal, "error_dict"):
        form.add_error(None, refusal)
        return
    for field, errors in refusal.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# Each function registered under this hook takes (page, request) and returns
# the side panels it adds to the page's edit view (channels adds 渠道).
SIDE_PANELS_HOOK = "page_editor_side_panels"


class EditView(edit.EditView):
    def get_side_panels(self):
        panels = super().get_side_panels()
        # An autosave's answer and the hydration of the add view once its
        # autosave has created the page teleport every side panel into the
        # page as loaded: the add view has no place for ours, and the edit
        # view keeps its own (their scripts hold on to their elements).
        if self.expects_json_response or self.hydrate_create_view:
            return panels
        for add_panels in hooks.get_hooks(SIDE_PANELS_HOOK):
            panels += add_panels(self.page, self.request)
        return panels


class WorkflowActionView(workflow.WorkflowActionView):
    """Approving or requesting changes from the dashboard's list happens in a
    modal, which then reloads the dashboard: Wagtail says nothing of what was
    done, so the reloaded page says it here."""

    def post(self, request, *args, **kwargs):
        labels = {
            name: label
            for name, label, _modal in self.task.get_actions(self.object, request.user)
        }
        response = super().post(request, *args, **kwargs)
        self.task_state.refresh_from_db()
        if self.task_state.status != TaskState.STATUS_IN_PROGRESS:
            action = labels.get(self.action_name, self.action_name)
            title = get_latest_str(self.object)
            messages.success(
                request,
                _("「%(title)s」：%(action)s") % {"title": title, "action": action},
            )
        return response


class CmsPageViewSet(PageViewSet):
    """Wagtail's views for every page type, with the views above.
    Registered after Wagtail's own base viewset, so it takes its place."""

    add_view_class = CreateView
    edit_view_class = EditView
    workflow_action_view_class = WorkflowActionView
