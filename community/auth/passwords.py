"""Which passwords are refused: too short, only letters or only digits, or easy to guess.

"Easy to guess" is zxcvbn's estimate (its lists of common passwords, words, names,
keyboard runs, dates and repeats) with a kept list of what Chinese users choose that
its English lists miss (pinyin words, 520/1314), and the person's own phone and name.
"""
from flask import current_app
from flask_babel import gettext as _
from zxcvbn import zxcvbn

from community.core.errors import ValidationFailed

MIN_SCORE = 2  # zxcvbn's 0–4; below 2 falls to an online guessing attack in days
# Common in Chinese password leaks, absent from zxcvbn's lists (ranked: most common first).
COMMON_CN = ("woaini", "5201314", "1314", "520", "aini", "mima", "wodemima", "nihao", "qq",
             "zhongguo", "china", "beijing", "shanghai", "iloveyou", "woaini1314", "admin",
             "zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "zhou", "wu", "xu",
             "sun", "ma", "zhu", "hu", "guo", "lin", "he", "gao", "luo")


def check_password_strength(password: str, personal: tuple[str, ...] = ()) -> None:
    """Raise ValidationFailed (field "password") for a password that must not be used.
    `personal`: the phone, name or username it must not be built from."""
    password = password or ""
    minimum = current_app.config["COMMUNITY_PASSWORD_MIN"]
    if len(password) < minimum:
        raise ValidationFailed(_("密码至少需要 %(n)d 位。", n=minimum), field="password")
    if password.isdigit() or password.isalpha():
        raise ValidationFailed(_("密码需要同时包含字母和数字。"), field="password")
    # zxcvbn's cost grows with the length; the first 64 characters tell enough.
    guess = zxcvbn(password[:64], user_inputs=[p for p in personal if p] + list(COMMON_CN))
    if guess["score"] < MIN_SCORE:
        raise ValidationFailed(_("这个密码太常见，容易被猜到，请换一个。"), field="password")
