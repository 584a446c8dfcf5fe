"""The post's text for a short-video platform (发布文案): the title, the
description with its #话题, the source credit and reviewing expert, and the
link back to the item. Lengths are counted as the platforms' upload forms
count them: every character, a Latin letter or a space as much as a 字."""

import re
from dataclasses import dataclass

from django.utils import translation
from django.utils.encoding import uri_to_iri
from django.utils.translation import gettext

POST_LANGUAGE = "zh-hans"  # what is posted is Chinese, whoever renders it

HASHTAG_BREAKS = re.compile(r"[\s#＃]+")


@dataclass(frozen=True)
class Caption:
    title: str
    description: str  # what goes in the platform's description field

    def text(self) -> str:
        """The file the account's operator copies from."""
        with translation.override(POST_LANGUAGE):
            return gettext("标题：%(title)s\n\n简介：\n%(description)s\n") % {
                "title": self.title,
                "description": self.description,
            }

    @classmethod
    def read(cls, text: str) -> "Caption":
        """The caption back from its file, for the 待发布 page to copy from."""
        head, _blank, rest = text.partition("\n\n")  # as text() wrote it
        title = head.partition("：")[2]
        description = rest.partition("\n")[2].rstrip("\n")
        return cls(title, description)


def topic_names(item, account_topics) -> list[str]:
    """#话题 in order: the item's topics, its campaign, then the account's
    own; each once, without the spaces and #s that would end a hashtag."""
    names = [topic.name for topic in item.topics.all()]
    if item.campaign_id:
        names.append(item.campaign.name)
    names.extend(account_topics)
    cleaned = (HASHTAG_BREAKS.sub("", name) for name in names)
    return list(dict.fromkeys(name for name in cleaned if name))


def expert_line(expert) -> str:
    if expert is None:
        return ""
    who = "，".join(part for part in (expert.title, expert.organisation) if part)
    name = f"{expert.name}（{who}）" if who else expert.name
    return gettext("审核专家：%(name)s") % {"name": name}


def caption_for(item, topics: list[str]) -> Caption:
    with translation.override(POST_LANGUAGE):
        lines = [
            item.summary.strip(),
            " ".join(f"#{name}" for name in topics),
            gettext("来源：%(credit)s") % {"credit": item.source_credit},
            expert_line(item.reviewing_expert),
            link_line(item.full_url),
        ]
    return Caption(item.title.strip(), "\n".join(line for line in lines if line))


def link_line(url: str | None) -> str:
    if not url:
        return ""
    # As people read it: a Chinese slug stays Chinese, not %E5%8F%B0….
    return gettext("原文：%(url)s") % {"url": uri_to_iri(url)}
