"""Domain errors, mapped to HTTP status codes in one place (register_error_handlers)."""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message=None):
        super().__init__(message)
        self.message = message or self.default_message()

    def default_message(self):
        return _l("请求无法处理。")


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def default_message(self):
        return _l("没有找到。")


class NotAllowed(DomainError):
    status = 403
    code = "not_allowed"

    def default_message(self):
        return _l("您无权进行此操作。")


class InvalidTransition(DomainError):
    status = 409
    code = "invalid_transition"

    def default_message(self):
        return _l("当前状态下不能进行此操作。")


class Conflict(DomainError):
    status = 409
    code = "conflict"

    def default_message(self):
        return _l("该诉求已被其他人处理，请刷新后查看。")


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"

    def __init__(self, message=None, field=None, others=()):
        super().__init__(message)
        self.field = field
        # Further (field, message) pairs found in the same check: a form shows them all
        # at once (issue 24) instead of one per attempt.
        self.others = list(others)
