"""Chinese full-text search on the database backends (SQLite FTS5, PostgreSQL).

Neither backend segments Chinese: both see a run of Han characters as one word,
so 疫苗 would never match 接种疫苗后. We index every run of Han characters as its
overlapping character bigrams (接种 种疫 疫苗 苗后) followed by its single
characters, and turn a query into the same bigrams as a phrase. A bigram phrase
matches exactly where the query is a substring of the text, so a two-character
word is found wherever it occurs, with no dictionary to go out of date.

Configure with WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "cms.search"}}.
"""

import re

from modelsearch.backends.database import SearchBackend as database_backend
from modelsearch.query import And, Or, Phrase, PlainText, SearchQuery

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
NON_WORD = re.compile(r"[^\w]+")


def bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def segment_for_index(text: str) -> str:
    """Bigrams of every Han run, then its single characters (for one-character
    queries), then the remaining words as they are."""
    runs = HAN_RUN.findall(text)
    pairs = " ".join(" ".join(bigrams(run)) for run in runs)
    singles = " ".join(" ".join(run) for run in runs)
    others = HAN_RUN.sub(" ", text)
    return " ".join(part for part in (pairs, singles, others) if part.strip())


def term_query(term: str) -> SearchQuery:
    """One query word: Han runs become bigram phrases, other words stay plain."""
    parts: list[SearchQuery] = []
    for piece in re.split(f"({HAN_RUN.pattern})", term):
        if not piece:
            continue
        if HAN_RUN.fullmatch(piece):
            parts.append(Phrase(" ".join(bigrams(piece))))
        else:
            parts.append(PlainText(piece))
    return And(parts) if len(parts) > 1 else parts[0]


def segment_query(query: str, operator: str | None) -> SearchQuery | str:
    terms = NON_WORD.sub(" ", query).split()
    if not terms:
        return ""
    combine = And if (operator or "and").lower() == "and" else Or
    queries = [term_query(term) for term in terms]
    return combine(queries) if len(queries) > 1 else queries[0]


class ChineseQueryMixin:
    def search(self, query, model_or_queryset, fields=None, operator=None, **kwargs):
        if isinstance(query, str):
            query, operator = segment_query(query, operator), None
        return super().search(query, model_or_queryset, fields, operator, **kwargs)

    def autocomplete(
        self, query, model_or_queryset, fields=None, operator=None, **kwargs
    ):
        if isinstance(query, str) and HAN_RUN.search(query):
            return self.search(query, model_or_queryset, None, operator, **kwargs)
        return super().autocomplete(
            query, model_or_queryset, fields, operator, **kwargs
        )


def SearchBackend(params):
    backend = database_backend(params)
    chinese_class = type(
        f"Chinese{type(backend).__name__}", (ChineseQueryMixin, type(backend)), {}
    )
    return chinese_class(params)
