"""Every text message the platform sends, as a gateway template.

Chinese gateways send only templates approved in advance, under a registered
signature (签名), with named variables. So the code never texts free words: it names
a template here and gives its parameters. docs/messaging.md lists the same table for
the city to file; COMMUNITY_SMS_TEMPLATE_IDS maps each code to the id the gateway
gave it.

Wording: `zh` is what is filed (the signature is added by the gateway, so it is not
in the text); `en` is the in-app copy for residents who chose English. Variables are
written ${name} as Alibaba Cloud files them; Tencent Cloud files them as {1}, {2}, …
in the order of `params`.
"""
import re
from dataclasses import dataclass

# The gateways' usual limits for a variable (Alibaba Cloud: 35 characters for most
# kinds; verification codes 4-6 digits). We keep ours under the strictest.
MAX_PARAM = 35
_TOKEN = re.compile(r"^[A-Za-z0-9_.-]+$")
_URLISH = re.compile(r"(https?://|www\.|\.(com|cn|net|org)\b)", re.I)


@dataclass(frozen=True)
class Template:
    code: str
    params: tuple[str, ...]
    zh: str
    en: str
    kind: str = "notice"     # "code": asked for by the person (sent even to an opted-out number)
    link: bool = False       # approved with a link: `token` goes after the site's /r/ (or /s/) path
    limits: tuple[tuple[str, int], ...] = ()  # tighter per-parameter lengths

    def max_len(self, name: str) -> int:
        return dict(self.limits).get(name, MAX_PARAM)


TEMPLATES: dict[str, Template] = {t.code: t for t in (
    Template("VERIFY_CODE", ("code", "minutes"),
             "您的验证码是 ${code}，${minutes} 分钟内有效。如非本人操作，请忽略本短信。",
             "Your verification code is ${code}, valid for ${minutes} minutes. "
             "If you did not ask for it, ignore this message.",
             kind="code", limits=(("code", 6), ("minutes", 3))),
    Template("SIGNUP_TAKEN", (),
             "该手机号已注册社区接诉即办账号，请直接登录。如非本人操作，请忽略本短信。",
             "This phone number already has an account; please sign in. "
             "If you did not ask for this, ignore this message.",
             kind="code"),
    Template("TICKET_STEP", ("code", "step"),
             "您的诉求（查询码${code}）有新进展：${step}。详情请凭查询码查看。",
             "Your request (tracking code ${code}) has news: ${step}. Look it up with the tracking code.",
             limits=(("code", 16), ("step", 12))),
    Template("APPEAL_UPHELD", ("code",),
             "您对诉求（查询码${code}）的评价被承办单位申诉，经上级审核申诉成立，这条评价不计入考核。",
             "The handling unit appealed your rating of request ${code}; the level above upheld the "
             "appeal, so this rating does not count in the unit's figures.",
             limits=(("code", 16),)),
    Template("APPEAL_REJECTED", ("code",),
             "您对诉求（查询码${code}）的评价被承办单位申诉，经上级审核申诉不成立，您的评价保留。",
             "The handling unit appealed your rating of request ${code}; the level above rejected the "
             "appeal, so your rating stands.",
             limits=(("code", 16),)),
    Template("PROACTIVE_DONE", ("code",),
             "您反映过的问题（查询码${code}）所在片区已开展主动治理并完成整治，详情请凭查询码查看。",
             "The problem you reported (tracking code ${code}) was taken up for the whole area and the "
             "work is done. Look it up with the tracking code.",
             limits=(("code", 16),)),
    Template("LINK_CANCEL", ("code", "token"),
             "您的诉求已登记，查询码${code}。受理前如需撤回，请打开（仅限一次，勿转发）：{site}/r/${token}",
             "Your request is registered, tracking code ${code}. To withdraw it before it is accepted, "
             "open (once only, do not forward): {site}/r/${token}",
             link=True, limits=(("code", 16), ("token", 32))),
    Template("LINK_RATE", ("code", "token"),
             "您的诉求（查询码${code}）已办结。请为这次办理评价，或对结果有异议申请重办（仅限一次，勿转发）："
             "{site}/r/${token}",
             "Your request (tracking code ${code}) is resolved. Rate how it was handled, or ask for it to be "
             "redone (once only, do not forward): {site}/r/${token}",
             link=True, limits=(("code", 16), ("token", 32))),
    # 满意度调查 (community.surveys): the single-use answer link, after the fixed /s/ path.
    Template("LINK_SURVEY", ("token",),
             "您好，请参加社区服务满意度调查，每人一次（仅限本人，勿转发）：{site}/s/${token}",
             "Please take part in the community service satisfaction survey, once per person "
             "(for you only, do not forward): {site}/s/${token}",
             link=True, limits=(("token", 32),)),
)}


class BadParams(ValueError):
    """The code asked for a template with parameters a gateway would refuse."""


def get(code: str) -> Template:
    try:
        return TEMPLATES[code]
    except KeyError:
        raise BadParams(f"no text template {code!r}") from None


def check(code: str, params: dict) -> dict:
    """The parameters as strings, checked as a gateway would: exactly the template's
    names, none too long, no URL (a link goes only as `token` of a link template)."""
    template = get(code)
    if set(params) != set(template.params):
        raise BadParams(f"{code} takes {template.params}, got {tuple(params)}")
    clean = {}
    for name in template.params:
        value = str(params[name]).strip()
        if len(value) > template.max_len(name):
            raise BadParams(f"{code}.{name} is longer than {template.max_len(name)} characters")
        if template.link and name == "token":
            if not _TOKEN.match(value):
                raise BadParams(f"{code}.token must be a link token, not {value!r}")
        elif _URLISH.search(value) or "/" in value:
            raise BadParams(f"{code}.{name} looks like a link; only link templates carry one, as a token")
        clean[name] = value
    return clean


def render(code: str, params: dict, locale: str = "zh", site: str = "") -> str:
    """The message as the resident reads it (in-app copy, log sender)."""
    template = get(code)
    text = template.en if (locale or "zh").startswith("en") else template.zh
    for name in template.params:
        text = text.replace("${%s}" % name, str(params[name]))
    return text.replace("{site}", site.rstrip("/"))


def positional(code: str, params: dict) -> list[str]:
    """Tencent Cloud's {1}, {2}, …: the values in the template's order."""
    return [str(params[name]) for name in get(code).params]
