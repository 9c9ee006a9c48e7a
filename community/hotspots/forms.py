"""The hotspot and 每月一题 pages' forms: plain text, checked by tasks and topics,
which name the field at fault."""
from wtforms import SelectMultipleField

from community.web.forms import text_form

TaskForm = text_form("TaskForm", "owner", "due_on", "plan",
                     doc="主动治理 opened on a hotspot: who, by when, the plan.")
TaskDoneForm = text_form("TaskDoneForm", "result")
TopicStepForm = text_form("TopicStepForm", "note", "project", "result",
                          doc="A step on a 每月一题: an update, a linked project, the result.")
_TopicFields = text_form("_TopicFields", "title", "description", "due_on", "category", "hotspot", "count")


class TopicForm(_TopicFields):
    """The county picks this month's topic; opened from a proposal, it comes filled in
    from the link's query."""
    leads = SelectMultipleField(validate_choice=False)  # the service checks each lead
