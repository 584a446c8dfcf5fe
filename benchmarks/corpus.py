"""Generated Chinese article text in which the search terms occur at known rates.

The filler vocabulary shares no character with a planted term, so a term's
bigrams can only come from the places where it was planted.
"""

import random
from dataclasses import dataclass

# term -> planted in every Nth generated article
PLANTED = {"疫苗": 100, "磁暴": 1000}

FILLER = (
    "科学 研究 人们 身体 健康 专家 建议 每天 注意 饮食 睡眠 运动 地球 太阳 月亮 "
    "星空 天气 气候 变化 温度 降雨 空气 水源 土壤 植物 动物 细胞 基因 病毒 细菌 "
    "防护 安全 知识 方法 原理 现象 实验 观察 数据 发现 能源 电力 信息 网络 手机 "
    "老年人 青少年 农民 工人 社区 学校 医院 医生 营养 蔬菜 水果 粮食 森林 海洋 "
    "河流 山区 城市 乡村 灾害 地震 洪水 火灾 预防 应急 常识 误区 真相 谣言 证据"
).split()


@dataclass(frozen=True)
class ArticleText:
    title: str
    standfirst: str
    paragraphs: tuple[str, ...]


def planted_terms(number: int) -> list[str]:
    return [term for term, every in PLANTED.items() if number % every == 0]


def planted_count(term: str, total: int) -> int:
    """How many of articles 0 … total-1 carry the term."""
    return len(range(0, total, PLANTED[term]))


def sentence(rng: random.Random, words: int) -> str:
    chosen = rng.choices(FILLER, k=words)
    middle = words // 2
    return "".join(chosen[:middle]) + "，" + "".join(chosen[middle:]) + "。"


def article_text(number: int) -> ArticleText:
    """Article `number`'s title, standfirst and three paragraphs, the same in
    every run; planted terms go in paragraph one."""
    rng = random.Random(number)
    paragraphs = [
        "".join(sentence(rng, rng.randint(6, 10)) for _ in range(3)) for _ in range(3)
    ]
    terms = planted_terms(number)
    if terms:
        paragraphs[0] = "、".join(terms) + "：" + paragraphs[0]
    return ArticleText(
        title="".join(rng.choices(FILLER, k=3)) + f"（{number}）",
        standfirst=sentence(rng, 8),
        paragraphs=tuple(paragraphs),
    )
