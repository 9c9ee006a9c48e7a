"""The residency pages' forms: plain text, checked by residency.services."""
from community.web.forms import text_form

ResidencyRequestForm = text_form("ResidencyRequestForm", "community", "note")
VerifyForm = text_form("VerifyForm", "user", "note")
RefuseForm = text_form("RefuseForm", "note")
