"""The forms of a package's push and of a recipient's task."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cms.organisations import Organisation
from screens.models import ScreenGroup
from tiers.models import LandingEvidence
from tiers.push import below


class IndentedOrganisations(forms.ModelMultipleChoiceField):
    """Organisations in tree order, each indented by its depth."""

    def label_from_instance(self, organisation: Organisation) -> str:
        depth = organisation.path.count("/") - 2
        return "　" * depth + str(organisation)


class PushForm(forms.Form):
    tiers = forms.TypedMultipleChoiceField(
        label=_("按层级"),
        choices=[choice for choice in Organisation.Tier.choices if choice[0] > 1],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("推送给所选范围内这些层级的全部单位"),
    )
    under = forms.ModelChoiceField(
        label=_("范围"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("（本单位以下全部）"),
        help_text=_("例如选一个市，再勾选“县/区”，即推送给该市所有县区"),
    )
    organisations = IndentedOrganisations(
        label=_("指定单位"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, sender: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        area = below(sender).order_by("path")
        self.fields["under"].queryset = area
        self.fields["organisations"].queryset = area

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("tiers") and not cleaned_data.get("organisations"):
            raise forms.ValidationError(_("请勾选层级或指定单位"))
        return cleaned_data


class PlaylistForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("大屏分组"), queryset=ScreenGroup.objects.none()
    )

    def __init__(self, groups, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class EvidenceForm(forms.ModelForm):
    link = forms.URLField(
        label=_("链接"), max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = LandingEvidence
        fields = ["note", "link"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def clean_link(self):
        link = self.cleaned_data["link"]
        if link and not link.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("链接须以 http:// 或 https:// 开头"))
        return link
