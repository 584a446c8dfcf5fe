"""People's names as Chinese readers write them: 姓 before 名 and no space
(林晓雯) where both parts are in Chinese characters; other names as Django
writes them (given name first, 'Ada Lovelace'). CmsConfig.ready() installs
it as the user model's get_full_name, which the admin, review e-mails and
reports all use."""

import re

HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·]+$")


def full_name(user) -> str:
    given, family = user.first_name.strip(), user.last_name.strip()
    if HAN.match(given) and HAN.match(family):
        return family + given
    return f"{given} {family}".strip()
