"""StreamField blocks of a science article's body."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("图片"))
    caption = blocks.CharBlock(label=_("图注"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("图片")
        template = "cms/blocks/image_block.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("引文"))
    attribution = blocks.CharBlock(label=_("出处"), required=False, max_length=120)

    class Meta:
        icon = "openquote"
        label = _("引用")
        template = "cms/blocks/quote_block.html"


class FactBoxBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), max_length=60)
    facts = blocks.ListBlock(blocks.CharBlock(max_length=200), label=_("要点"))

    class Meta:
        icon = "list-ul"
        label = _("知识卡片")
        template = "cms/blocks/fact_box_block.html"


class ReferenceBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("文献或来源"), max_length=200)
    publisher = blocks.CharBlock(label=_("发布机构"), required=False, max_length=120)
    url = blocks.URLBlock(label=_("链接"), required=False)

    class Meta:
        icon = "link"
        label = _("参考来源")


class ReferencesBlock(blocks.ListBlock):
    def __init__(self, **kwargs):
        super().__init__(ReferenceBlock(), **kwargs)

    class Meta:
        icon = "doc-full"
        label = _("参考文献")
        template = "cms/blocks/references_block.html"


class ScienceBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("正文"), features=["h2", "h3", "bold", "italic", "ol", "ul", "link"]
    )
    image = ImageBlock()
    quote = QuoteBlock()
    fact_box = FactBoxBlock()
    references = ReferencesBlock()


class CorrectionBlock(blocks.StructBlock):
    wrong = blocks.TextBlock(label=_("原文有误之处"), max_length=500)
    right = blocks.TextBlock(label=_("更正为"), max_length=500)

    class Meta:
        icon = "warning"
        label = _("更正说明")


class CorrectionsBlock(blocks.StreamBlock):
    correction = CorrectionBlock()
